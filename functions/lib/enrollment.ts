/**
 * The idempotent indexing routine for one uploaded ID photo, run by index-face on the S3 event and by verify
 * when the event has not been processed yet. It decides ACCEPTED (with the face id) or REJECTED (with a reason),
 * writes the decision once (conditional write), and makes an accepted photo the user's active enrolment.
 * Permanent problems with the photo become REJECTED; transient AWS errors are thrown so the caller retries.
 */
import {
  DeleteFacesCommand,
  IndexFacesCommand,
  SearchFacesByImageCommand,
  type Image,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { rekognition, s3 } from './aws-clients';
import { config } from './config';
import type { ImageContentType } from './enrollment-key';
import { logger } from './logger';
import {
  activateEnrollment,
  getEnrollment,
  saveEnrollmentDecision,
  type EnrollmentDecision,
  type RejectionReason,
} from './store';

/** Rekognition refusals that are about the image itself, so retrying cannot help. */
const IMAGE_REFUSALS: Record<string, RejectionReason> = {
  InvalidImageFormatException: 'NOT_AN_IMAGE',
  ImageTooLargeException: 'TOO_LARGE',
};

const MAGIC: Record<ImageContentType, number[]> = {
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
};

/** True when the bytes start with the signature of the declared type (the declared type alone proves nothing). */
export function hasImageSignature(bytes: Uint8Array, contentType: ImageContentType): boolean {
  const signature = MAGIC[contentType];
  return bytes.length >= signature.length && signature.every((byte, index) => bytes[index] === byte);
}

/** The photo is not in the bucket: nothing was uploaded to the key, or it was deleted before we looked. */
export class PhotoMissingError extends Error {
  override name = 'PhotoMissingError';
  constructor(key: string) {
    super(`no object at ${key}`);
  }
}

class Rejection {
  constructor(readonly reason: RejectionReason) {}
}

async function deleteFaces(faceIds: string[]): Promise<void> {
  if (faceIds.length === 0) return;
  await rekognition().send(new DeleteFacesCommand({ CollectionId: config().collectionId, FaceIds: faceIds }));
}

/** Reads the photo after checking what S3 says about it; a rejection when it cannot be an acceptable ID photo. */
async function readPhoto(key: string, expectedType: ImageContentType): Promise<{ bytes: Uint8Array; uploadedAt: string } | Rejection> {
  const { bucketName, enrollmentMaxBytes } = config();
  const head = await s3()
    .send(new HeadObjectCommand({ Bucket: bucketName, Key: key }))
    .catch((error: Error) => {
      throw error.name === 'NotFound' || error.name === 'NoSuchKey' ? new PhotoMissingError(key) : error;
    });
  const size = head.ContentLength ?? 0;
  if (size === 0) return new Rejection('EMPTY');
  if (size > enrollmentMaxBytes) return new Rejection('TOO_LARGE');
  if (head.ContentType !== expectedType) return new Rejection('WRONG_TYPE');
  const object = await s3().send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
  if (!object.Body) throw new Error(`GetObject returned no body for ${key}`);
  const bytes = await object.Body.transformToByteArray();
  if (!hasImageSignature(bytes, expectedType)) return new Rejection('NOT_AN_IMAGE');
  const uploadedAt = (object.LastModified ?? head.LastModified ?? new Date()).toISOString();
  return { bytes, uploadedAt };
}

/** Another account's face already in the collection, when the policy forbids sharing a face. */
async function findDuplicate(sub: string, image: Image): Promise<boolean> {
  const { collectionId, faceMatchThreshold, duplicateFacePolicy } = config();
  if (duplicateFacePolicy === 'ALLOW') return false;
  const { FaceMatches } = await rekognition().send(
    new SearchFacesByImageCommand({ CollectionId: collectionId, Image: image, FaceMatchThreshold: faceMatchThreshold, MaxFaces: 5 }),
  );
  return (FaceMatches ?? []).some((match) => match.Face?.ExternalImageId !== sub);
}

async function indexFace(sub: string, image: Image): Promise<string | Rejection> {
  const { collectionId, qualityFilter } = config();
  const { FaceRecords = [], UnindexedFaces = [] } = await rekognition().send(
    new IndexFacesCommand({ CollectionId: collectionId, Image: image, ExternalImageId: sub, MaxFaces: 1, QualityFilter: qualityFilter }),
  );
  const indexedIds = FaceRecords.flatMap((record) => (record.Face?.FaceId ? [record.Face.FaceId] : []));
  // MaxFaces 1 indexes the largest face and reports the others as EXCEEDS_MAX_FACES: an ID photo shows one person.
  if (UnindexedFaces.some((face) => face.Reasons?.includes('EXCEEDS_MAX_FACES'))) {
    await deleteFaces(indexedIds);
    return new Rejection('MULTIPLE_FACES');
  }
  const [faceId] = indexedIds;
  if (faceId) return faceId;
  return new Rejection(UnindexedFaces.length > 0 ? 'LOW_QUALITY' : 'NO_FACE');
}

/** Runs a Rekognition image call, turning refusals about the image into a rejection. */
async function imageCall<T>(call: () => Promise<T>): Promise<T | Rejection> {
  try {
    return await call();
  } catch (error) {
    const name = (error as Error).name;
    const reason = IMAGE_REFUSALS[name];
    if (reason) return new Rejection(reason);
    // SearchFacesByImage refuses an image without a face with InvalidParameterException.
    if (name === 'InvalidParameterException') return new Rejection('NO_FACE');
    throw error;
  }
}

async function decide(sub: string, key: string, expectedType: ImageContentType): Promise<EnrollmentDecision> {
  const photo = await readPhoto(key, expectedType);
  const uploadedAt = photo instanceof Rejection ? new Date().toISOString() : photo.uploadedAt;
  const rejected = (rejection: Rejection): EnrollmentDecision => ({ key, status: 'REJECTED', reason: rejection.reason, uploadedAt });
  if (photo instanceof Rejection) return rejected(photo);
  const image: Image = { Bytes: photo.bytes };
  const duplicate = await imageCall(() => findDuplicate(sub, image));
  if (duplicate instanceof Rejection) return rejected(duplicate);
  if (duplicate) return rejected(new Rejection('DUPLICATE_FACE'));
  const faceId = await imageCall(() => indexFace(sub, image));
  if (faceId instanceof Rejection) return rejected(faceId);
  return { key, status: 'ACCEPTED', faceId, uploadedAt };
}

/** Makes an accepted photo the active enrolment, removing whichever face it displaces from the collection. */
async function activate(sub: string, decision: EnrollmentDecision & { faceId: string }): Promise<void> {
  const activation = await activateEnrollment(sub, { key: decision.key, faceId: decision.faceId, uploadedAt: decision.uploadedAt });
  if (!activation.activated) {
    // A newer upload is active: this face will never be compared against, so it leaves the collection.
    logger.info('enrolment superseded by a newer upload', { sub, key: decision.key });
    await deleteFaces([decision.faceId]);
  } else if (activation.replacedFaceId) {
    logger.info('re-enrolment replaced the previous face', { sub, key: decision.key });
    await deleteFaces([activation.replacedFaceId]);
  }
}

/**
 * Decides on the photo at `key` (owned by `sub`, of the type its extension names) exactly once.
 * Safe to run again and concurrently: the first decision written wins and later runs return it.
 */
export async function indexEnrollment(sub: string, key: string, expectedType: ImageContentType): Promise<EnrollmentDecision> {
  const existing = await getEnrollment(sub, key);
  if (existing) {
    // Finishes an activation a crashed earlier run may have left undone; a no-op otherwise.
    if (existing.status === 'ACCEPTED' && existing.faceId) await activate(sub, { ...existing, faceId: existing.faceId });
    return existing;
  }
  const decision = await decide(sub, key, expectedType);
  if (!(await saveEnrollmentDecision(sub, decision))) {
    // Lost the race to a concurrent run: our face is a stray copy.
    if (decision.faceId) await deleteFaces([decision.faceId]);
    const winner = await getEnrollment(sub, key);
    if (!winner) throw new Error(`enrolment decision for ${key} vanished after a conditional-write conflict`);
    return winner;
  }
  logger.info('enrolment decided', { sub, key, status: decision.status, reason: decision.reason });
  if (decision.status === 'ACCEPTED' && decision.faceId) await activate(sub, { ...decision, faceId: decision.faceId });
  return decision;
}

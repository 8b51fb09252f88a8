/**
 * The idempotent indexing routine for one uploaded ID photo, run by index-face on the S3 event and by verify
 * when the event has not been processed yet. It decides only on a key that create issued to this user, only
 * while the user has no current enrollment, and only once (a conditional write). The bytes it checked are pinned
 * to a key no upload policy can write (`id-photos/`), and that copy is what every later CompareFaces reads. An
 * accepted photo becomes a PROVISIONAL enrollment, confirmed by the first successful live match against it.
 * Permanent problems with the photo become REJECTED; transient AWS errors are thrown so the caller retries.
 */
import { randomUUID } from 'node:crypto';
import {
  CompareFacesCommand,
  DeleteFacesCommand,
  IndexFacesCommand,
  SearchFacesByImageCommand,
  SearchFacesCommand,
  type FaceMatch,
  type Image,
} from '@aws-sdk/client-rekognition';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { requestOptions } from './aws-clients';
import { pause } from './deadline';
import { checkDocument } from './document-check';
import { ENROLLMENT_CONTENT_TYPE } from './enrollment-key';
import { referenceMismatch } from './liveness';
import { checkPlaceHolder, type HoldCheckPlace, isLockedOut, recordFailedCheck } from './lockout';
import { describeError, logger } from './logger';
import { countVerdict } from './metrics';
import type { Clock, Deps, TableDeps } from './parts';
import {
  activateEnrollment,
  claimEnrollmentDecision,
  confirmEnrollment,
  DECISION_POLL_MS,
  getActiveEnrollment,
  getCurrentEnrollment,
  getEnrollment,
  releaseEnrollmentClaim,
  removeEnrollmentInState,
  replaceConfirmedEnrollment,
  revokeAcceptedEnrollment,
  saveEnrollmentDecision,
  type ActiveEnrollment,
  type EnrollmentDecision,
  type EnrollmentRecord,
  type RejectionReason,
  type Replacement,
} from './store';

/** What removing an enrollment uses: its face leaves the collection and its pinned photo the bucket. */
type RemovalDeps = Deps<'rekognition' | 's3'>;
/** What deciding on an upload uses: the document check reads the photo with Textract too; the clock times a wait. */
type IndexingDeps = Deps<'rekognition' | 's3' | 'textract'> & { clock: Clock };

/** Rekognition refusals that are about the image itself, so retrying cannot help. */
const IMAGE_REFUSALS: Record<string, RejectionReason> = {
  InvalidImageFormatException: 'NOT_AN_IMAGE',
  ImageTooLargeException: 'TOO_LARGE',
};

const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** True when the bytes start with the JPEG signature (the declared type alone proves nothing). */
export function hasJpegSignature(bytes: Uint8Array): boolean {
  return bytes.length >= JPEG_SIGNATURE.length && JPEG_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

/** The pinned copy of a checked photo: outside `enrollment/`, so no upload policy and no S3 event reach it. */
export const pinnedPhotoKey = (sub: string) => `id-photos/${sub}/${randomUUID()}.jpg`;

/**
 * The photo is not in the bucket: nothing was uploaded to the key, or it was deleted before we looked. Without
 * s3:ListBucket, S3 answers a missing key with 403, not 404, so both mean this.
 */
export class PhotoMissingError extends Error {
  override name = 'PhotoMissingError';
  constructor(key: string) {
    super(`no object at ${key}`);
  }
}

/** The key was never issued to this user by create: nobody may decide on it. */
export class KeyNotIssuedError extends Error {
  override name = 'KeyNotIssuedError';
  constructor(key: string) {
    super(`${key} was not issued`);
  }
}

class Rejection {
  constructor(readonly reason: RejectionReason) {}
}

const MISSING_OBJECT_ERRORS = new Set(['NotFound', 'NoSuchKey', 'Forbidden', 'AccessDenied']);

async function deleteFaces({ config, clients }: RemovalDeps, faceIds: string[]): Promise<void> {
  if (faceIds.length === 0) return;
  await clients.rekognition.send(new DeleteFacesCommand({ CollectionId: config.collectionId, FaceIds: faceIds }), requestOptions());
}

async function deleteObject({ config, clients }: RemovalDeps, key: string): Promise<void> {
  await clients.s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: key }), requestOptions());
}

/** Reads the photo after checking what S3 says about it; a rejection when it cannot be an acceptable ID photo. */
async function readPhoto(
  { config, clients }: IndexingDeps,
  key: string,
  nowMs: number,
): Promise<{ bytes: Uint8Array; uploadedAt: string } | Rejection> {
  const { bucketName, enrollmentMaxBytes } = config;
  const missing = (error: Error) => {
    throw MISSING_OBJECT_ERRORS.has(error.name) || statusOf(error) === 403 || statusOf(error) === 404 ? new PhotoMissingError(key) : error;
  };
  const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucketName, Key: key }), requestOptions()).catch(missing);
  const size = head.ContentLength ?? 0;
  if (size === 0) return new Rejection('EMPTY');
  if (size > enrollmentMaxBytes) return new Rejection('TOO_LARGE');
  if (head.ContentType !== ENROLLMENT_CONTENT_TYPE) return new Rejection('WRONG_TYPE');
  // Removed between HEAD and GET (the other runner decided it): missing too, not an error.
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }), requestOptions()).catch(missing);
  if (!object.Body) throw new Error(`GetObject returned no body for ${key}`);
  const bytes = await object.Body.transformToByteArray();
  // The object may have been replaced between HEAD and GET: the bytes we hold are what we check and pin.
  if (bytes.length === 0) return new Rejection('EMPTY');
  if (bytes.length > enrollmentMaxBytes) return new Rejection('TOO_LARGE');
  if (!hasJpegSignature(bytes)) return new Rejection('NOT_AN_IMAGE');
  return { bytes, uploadedAt: (object.LastModified ?? head.LastModified ?? new Date(nowMs)).toISOString() };
}

function statusOf(error: Error): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * The most matches a search returns (Rekognition's limit). Every match above the threshold is read, not the top 10:
 * provisional faces of the same photo on throwaway accounts would otherwise fill the top 10 and push a confirmed
 * face of a different photo out of them.
 */
export const DUPLICATE_SEARCH_MAX_FACES = 4096;
/** Enrollment reads in flight at once while the matches are looked up. */
const OWNER_READS_AT_ONCE = 16;

/**
 * True when one of the matches is another account's CONFIRMED face (and the policy forbids sharing a face), or when
 * the matches fill the search's limit, so that one beyond it cannot be ruled out. Provisional faces never block:
 * anyone can enroll a public photo of someone else, but only its owner can confirm it with a live match.
 */
async function matchesConfirmedFaceOfAnother({ store }: TableDeps, sub: string, matches: FaceMatch[]): Promise<boolean> {
  if (matches.length >= DUPLICATE_SEARCH_MAX_FACES) return true;
  const others = matches.flatMap(({ Face }) =>
    Face?.ExternalImageId && Face.ExternalImageId !== sub && Face.FaceId ? [{ owner: Face.ExternalImageId, faceId: Face.FaceId }] : [],
  );
  for (let start = 0; start < others.length; start += OWNER_READS_AT_ONCE) {
    const confirmed = await Promise.all(
      others.slice(start, start + OWNER_READS_AT_ONCE).map(async ({ owner, faceId }) => {
        const enrollment = await getActiveEnrollment(store, owner);
        return enrollment?.state === 'CONFIRMED' && enrollment.faceId === faceId;
      }),
    );
    if (confirmed.includes(true)) return true;
  }
  return false;
}

// Two functions, not one taking either search: the indexer's bundle then holds no SearchFacesCommand, so its
// role needs no rekognition:SearchFaces (the least-privilege test reads the actions from the bundle).
async function isDuplicateByImage(deps: Deps<'rekognition'>, sub: string, image: Image): Promise<boolean> {
  const { collectionId, faceMatchThreshold, duplicateFacePolicy } = deps.config;
  if (duplicateFacePolicy === 'ALLOW') return false;
  const { FaceMatches = [] } = await deps.clients.rekognition.send(
    new SearchFacesByImageCommand({
      CollectionId: collectionId,
      Image: image,
      FaceMatchThreshold: faceMatchThreshold,
      MaxFaces: DUPLICATE_SEARCH_MAX_FACES,
    }),
    requestOptions(),
  );
  return matchesConfirmedFaceOfAnother(deps, sub, FaceMatches);
}

async function isDuplicateByFace(deps: Deps<'rekognition'>, sub: string, faceId: string): Promise<boolean> {
  const { collectionId, faceMatchThreshold, duplicateFacePolicy } = deps.config;
  if (duplicateFacePolicy === 'ALLOW') return false;
  const { FaceMatches = [] } = await deps.clients.rekognition.send(
    new SearchFacesCommand({
      CollectionId: collectionId,
      FaceId: faceId,
      FaceMatchThreshold: faceMatchThreshold,
      MaxFaces: DUPLICATE_SEARCH_MAX_FACES,
    }),
    requestOptions(),
  );
  return matchesConfirmedFaceOfAnother(deps, sub, FaceMatches);
}

async function indexFace(deps: RemovalDeps, sub: string, image: Image): Promise<string | Rejection> {
  const { collectionId, qualityFilter } = deps.config;
  const { FaceRecords = [], UnindexedFaces = [] } = await deps.clients.rekognition.send(
    new IndexFacesCommand({ CollectionId: collectionId, Image: image, ExternalImageId: sub, MaxFaces: 1, QualityFilter: qualityFilter }),
    requestOptions(),
  );
  const indexedIds = FaceRecords.flatMap((record) => (record.Face?.FaceId ? [record.Face.FaceId] : []));
  // MaxFaces 1 indexes the largest face and reports the others as EXCEEDS_MAX_FACES: an ID photo shows one person.
  if (UnindexedFaces.some((face) => face.Reasons?.includes('EXCEEDS_MAX_FACES'))) {
    await deleteFaces(deps, indexedIds);
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

/**
 * Whether the photo's face is the face in the liveness reference image of the sign-in that asked to replace the
 * ID photo: a stolen fresh token cannot put a stranger's face on the account.
 */
async function matchesLiveFace(deps: IndexingDeps, image: Image, replacement: Replacement): Promise<boolean | Rejection> {
  const { config, clients } = deps;
  return imageCall(async () => {
    const comparison = await clients.rekognition.send(
      new CompareFacesCommand({
        SourceImage: image,
        TargetImage: { S3Object: { Bucket: config.bucketName, Name: replacement.referenceKey } },
        SimilarityThreshold: config.similarityThreshold,
      }),
      requestOptions(),
    );
    return referenceMismatch(comparison, config.similarityThreshold) === undefined;
  });
}

/**
 * The face check of a replacement photo, as a sign-in's: refused unchecked (LOCKED_OUT) while the user is locked or
 * the lockout window's places are taken, so that uploads issued before a lock do not each get a comparison.
 */
async function checkReplacementFace(
  deps: IndexingDeps,
  sub: string,
  image: Image,
  replacement: Replacement,
  nowMs: number,
  holdPlace: HoldCheckPlace,
): Promise<Rejection | undefined> {
  if ((await isLockedOut(deps.store, sub, nowMs)) || !(await holdPlace())) return new Rejection('LOCKED_OUT');
  const live = await matchesLiveFace(deps, image, replacement);
  if (live instanceof Rejection) return live;
  return live ? undefined : new Rejection('NO_MATCH');
}

/** Whether the user's enrollment is still the confirmed one a replacement upload was issued for. */
async function isReplaceable(deps: IndexingDeps, sub: string, replacement: Replacement, nowMs: number): Promise<boolean> {
  const current = await getCurrentEnrollment(deps.store, sub, nowMs);
  return current?.state === 'CONFIRMED' && current.faceId === replacement.replacesFaceId;
}

async function decide(
  deps: IndexingDeps,
  sub: string,
  key: string,
  replacement: Replacement | undefined,
  nowMs: number,
  holdPlace: HoldCheckPlace,
): Promise<EnrollmentDecision> {
  const { config, clients, store } = deps;
  const rejected = (rejection: Rejection): EnrollmentDecision => ({ key, status: 'REJECTED', reason: rejection.reason, ...replacing });
  const replacing = replacement ? { replacement } : {};
  if (replacement) {
    if (!(await isReplaceable(deps, sub, replacement, nowMs))) return rejected(new Rejection('ENROLLMENT_CHANGED'));
    // An upload issued at sign-in never replaces a current enrollment: only the signed-in replacement does.
  } else if (await getCurrentEnrollment(store, sub, nowMs)) return rejected(new Rejection('ALREADY_ENROLLED'));
  const photo = await readPhoto(deps, key, nowMs);
  if (photo instanceof Rejection) return rejected(photo);
  // The photo must show an identity document (DOCUMENT_CHECK); only its type, country and expiry are kept.
  const document = await checkDocument(
    { bytes: photo.bytes },
    { client: clients.textract, policy: config.documentCheck, now: new Date(nowMs), keepIdentity: config.documentKeepIdentity },
  );
  if (document.refusal) return rejected(new Rejection(document.refusal));
  const image: Image = { Bytes: photo.bytes };
  if (replacement) {
    // Before the duplicate search: a photo of someone else is refused as NO_MATCH and never searched, so a signed-in
    // user cannot ask whether a stranger's face is enrolled here (DUPLICATE_FACE tells them of their own face only).
    const mismatch = await checkReplacementFace(deps, sub, image, replacement, nowMs, holdPlace);
    if (mismatch) return rejected(mismatch);
  }
  const duplicate = await imageCall(() => isDuplicateByImage(deps, sub, image));
  if (duplicate instanceof Rejection) return rejected(duplicate);
  if (duplicate) return rejected(new Rejection('DUPLICATE_FACE'));
  const photoKey = pinnedPhotoKey(sub);
  await clients.s3.send(
    new PutObjectCommand({ Bucket: config.bucketName, Key: photoKey, Body: photo.bytes, ContentType: ENROLLMENT_CONTENT_TYPE }),
    requestOptions(),
  );
  // A pinned copy that no decision records is never read again: it goes when indexing refuses or fails.
  const faceId = await imageCall(() => indexFace(deps, sub, image)).catch(async (error: unknown) => {
    await deleteObject(deps, photoKey).catch((cleanup: unknown) =>
      logger.warn('pinned copy not removed', { sub, ...describeError(cleanup) }),
    );
    throw error;
  });
  if (faceId instanceof Rejection) {
    await deleteObject(deps, photoKey);
    return rejected(faceId);
  }
  return {
    key,
    status: 'ACCEPTED',
    faceId,
    photoKey,
    uploadedAt: photo.uploadedAt,
    ...(document.document ? { document: document.document } : {}),
    ...replacing,
  };
}

/** Makes an accepted photo the user's provisional enrollment; a face that cannot become active leaves the collection. */
async function activate(
  deps: RemovalDeps,
  sub: string,
  decision: Extract<EnrollmentDecision, { status: 'ACCEPTED' }>,
  nowMs: number,
): Promise<boolean> {
  const current = await getActiveEnrollment(deps.store, sub);
  if (current?.key === decision.key) return true;
  if (decision.replacement) return activateReplacement(deps, sub, decision, decision.replacement, nowMs);
  const provisionalUntilMs = nowMs + deps.config.provisionalEnrollmentHours * 3600_000;
  const { key, faceId, photoKey, uploadedAt } = decision;
  const activation = await activateEnrollment(deps.store, sub, { key, faceId, photoKey, uploadedAt }, provisionalUntilMs, nowMs);
  if (!activation.activated) {
    // The indexer and verify both decide an upload: when the other one activated this same photo first, its face is
    // the enrollment's and stays.
    if ((await getActiveEnrollment(deps.store, sub))?.key === decision.key) return true;
    // Another upload of the same user became current first (two open sessions): this face is never compared, and
    // its decision is revoked, so that a late redelivered event cannot make the deleted face the enrollment later.
    logger.info('accepted photo not activated: the user enrolled meanwhile', { sub, key });
    await revokeAcceptedEnrollment(deps.store, sub, key, 'ALREADY_ENROLLED', nowMs);
    await deleteFaces(deps, [faceId]);
    await deleteObject(deps, photoKey);
    return false;
  }
  if (activation.expired) {
    logger.info('an expired provisional enrollment was replaced', { sub });
    await revokeAcceptedEnrollment(deps.store, sub, activation.expired.key, 'EXPIRED_UNCONFIRMED', nowMs);
    await deleteFaces(deps, [activation.expired.faceId]);
    await deleteObject(deps, activation.expired.photoKey);
  }
  return true;
}

/** Puts an accepted replacement in the place of the confirmed enrollment, whose face and photo then go. */
async function activateReplacement(
  deps: RemovalDeps,
  sub: string,
  decision: Extract<EnrollmentDecision, { status: 'ACCEPTED' }>,
  replacement: Replacement,
  nowMs: number,
): Promise<boolean> {
  const { key, faceId, photoKey, uploadedAt } = decision;
  const replaced = await replaceConfirmedEnrollment(
    deps.store,
    sub,
    { key, faceId, photoKey, uploadedAt },
    replacement.replacesFaceId,
    nowMs,
  );
  if (!replaced) {
    logger.info('replacement photo not activated: the enrollment changed meanwhile', { sub, key });
    // Its status must not read ACCEPTED: the photo never became the enrollment.
    await revokeAcceptedEnrollment(deps.store, sub, key, 'ENROLLMENT_CHANGED', nowMs);
    await deleteFaces(deps, [faceId]);
    await deleteObject(deps, photoKey);
    return false;
  }
  logger.info('ID photo replaced', { sub });
  countVerdict('EnrollmentReplaced');
  await deleteFaces(deps, [replaced.faceId]);
  await deleteObject(deps, replaced.photoKey);
  return true;
}

/** How a run claims the decision on an upload (see claimOrAwaitDecision). */
export interface DecisionClaim {
  /** How long the claim lasts: the claiming run's budget. */
  forMs: number;
  /** How long an unclaimed upload is first left to the other runner, which is expected to come (verify's: the S3 event's). */
  afterMs?: number;
}

/**
 * Makes this run the one that decides an issued upload, or waits for the run that claimed it first. Both the S3 event
 * and verify run this routine on the same upload; without the claim both would check and index the photo, and the
 * one a deadline cut short after IndexFaces would leave its face in the collection, which no record names. A claim
 * lasts as long as the claiming run may, so the upload of a run that died is taken over when it ends.
 * Returns the record: still ISSUED, with this run's claim, when this run holds it, else the decision the other run wrote.
 */
async function claimOrAwaitDecision(
  deps: IndexingDeps,
  sub: string,
  issued: Extract<EnrollmentRecord, { status: 'ISSUED' }>,
  { forMs, afterMs = 0 }: DecisionClaim,
): Promise<EnrollmentRecord> {
  const { clock, store } = deps;
  let waitedMs = 0;
  let waiting = false;
  for (let record: EnrollmentRecord | undefined = issued; ; record = await getEnrollment(store, sub, issued.key)) {
    // Gone meanwhile: the account was deleted, and nobody may decide on its uploads.
    if (!record) throw new KeyNotIssuedError(issued.key);
    if (record.status !== 'ISSUED') return record;
    const nowMs = clock.now();
    const claimedUntil = record.decidingUntil ?? 0;
    if (claimedUntil <= nowMs && waitedMs >= afterMs) {
      if (await claimEnrollmentDecision(store, sub, issued.key, nowMs, nowMs + forMs)) return { ...record, decidingUntil: nowMs + forMs };
      continue;
    }
    if (claimedUntil > nowMs && !waiting) logger.info('upload decision claimed by another run: waiting for it', { sub, key: issued.key });
    waiting ||= claimedUntil > nowMs;
    // The deadline of this run ends the wait: its next read is aborted.
    const pauseMs = Math.min(DECISION_POLL_MS, claimedUntil > nowMs ? claimedUntil - nowMs : afterMs - waitedMs);
    await pause(pauseMs);
    waitedMs += pauseMs;
  }
}

export interface EnrollmentOutcome {
  decision: EnrollmentDecision;
  /** Whether the photo at this key is the user's current enrollment now. */
  active: boolean;
}

/**
 * Decides on the photo at `key` (issued to `sub`) exactly once. Safe to run again and concurrently: the first
 * decision written wins, later runs return it. Throws KeyNotIssuedError for a key create never issued.
 */
export async function indexEnrollment(
  deps: IndexingDeps,
  sub: string,
  key: string,
  nowMs: number,
  claim: DecisionClaim,
): Promise<EnrollmentOutcome> {
  const { store } = deps;
  const issued = await getEnrollment(store, sub, key);
  if (!issued) throw new KeyNotIssuedError(key);
  const existing = issued.status === 'ISSUED' ? await claimOrAwaitDecision(deps, sub, issued, claim) : issued;
  if (existing.status !== 'ISSUED') {
    // Finishes an activation a crashed earlier run may have left undone; a no-op otherwise.
    const active = existing.status === 'ACCEPTED' && (await activate(deps, sub, existing, nowMs));
    // A second upload to a decided key (the policy is still valid) is never looked at: remove it.
    await deleteObject(deps, key);
    return { decision: existing, active };
  }
  // A replacement's face check holds a lockout place until its failure is recorded.
  const place = checkPlaceHolder(deps, sub, nowMs);
  try {
    return await decideClaimed(deps, sub, existing, nowMs, claim, place.hold);
  } finally {
    await place.release();
  }
}

/** Decides, records and activates an upload this run holds the claim on. */
async function decideClaimed(
  deps: IndexingDeps,
  sub: string,
  existing: Extract<EnrollmentRecord, { status: 'ISSUED' }>,
  nowMs: number,
  claim: DecisionClaim,
  holdPlace: HoldCheckPlace,
): Promise<EnrollmentOutcome> {
  const { store } = deps;
  const { key } = existing;
  let decision: EnrollmentDecision;
  try {
    decision = await decide(deps, sub, key, existing.replacement, nowMs, holdPlace);
  } catch (error) {
    // Nothing decided: the claim goes, so that the other runner need not wait for it to end.
    await releaseEnrollmentClaim(store, sub, key, existing.decidingUntil ?? 0).catch(() => false);
    // The other runner (the S3 event or verify) may have decided and removed the upload while this one looked.
    if (error instanceof PhotoMissingError && (await getEnrollment(store, sub, key))?.status !== 'ISSUED')
      return indexEnrollment(deps, sub, key, nowMs, claim);
    throw error;
  }
  if (!(await saveEnrollmentDecision(store, sub, decision, nowMs))) {
    // Lost the race to a concurrent run: our face and pinned copy are strays.
    if (decision.status === 'ACCEPTED') {
      await deleteFaces(deps, [decision.faceId]);
      await deleteObject(deps, decision.photoKey);
    }
    return indexEnrollment(deps, sub, key, nowMs, claim);
  }
  logger.info('enrollment decided', {
    sub,
    key,
    status: decision.status,
    reason: decision.status === 'REJECTED' ? decision.reason : undefined,
  });
  countVerdict(
    decision.status === 'ACCEPTED' ? 'EnrollmentAccepted' : 'EnrollmentRejected',
    decision.status === 'REJECTED' ? decision.reason : undefined,
  );
  // A replacement photo that is not the live face is a failed face check: it counts toward lockout, once.
  if (decision.status === 'REJECTED' && decision.reason === 'NO_MATCH') await recordFailedCheck(deps, sub, nowMs);
  const active = decision.status === 'ACCEPTED' && (await activate(deps, sub, decision, nowMs));
  await deleteObject(deps, key);
  return { decision, active };
}

/** Removes an enrollment in `state`, its face and pinned photo, and revokes its upload's decision; false if it changed meanwhile. */
async function removeEnrollment(
  deps: RemovalDeps,
  sub: string,
  enrollment: Pick<ActiveEnrollment, 'key' | 'faceId' | 'photoKey' | 'state'>,
  reason: RejectionReason,
  nowMs: number,
): Promise<boolean> {
  if (!(await removeEnrollmentInState(deps.store, sub, enrollment.faceId, enrollment.state))) return false;
  await revokeAcceptedEnrollment(deps.store, sub, enrollment.key, reason, nowMs);
  await deleteFaces(deps, [enrollment.faceId]);
  await deleteObject(deps, enrollment.photoKey);
  return true;
}

/** The sweep's removal of a provisional enrollment that expired unconfirmed. */
export async function removeExpiredProvisionalEnrollment(
  deps: RemovalDeps,
  sub: string,
  enrollment: Pick<ActiveEnrollment, 'key' | 'faceId' | 'photoKey'>,
  nowMs: number,
): Promise<boolean> {
  const removed = await removeEnrollment(deps, sub, { ...enrollment, state: 'PROVISIONAL' }, 'EXPIRED_UNCONFIRMED', nowMs);
  if (removed) countVerdict('EnrollmentRejected', 'EXPIRED_UNCONFIRMED');
  return removed;
}

/**
 * Confirms a provisional enrollment after a successful live match, running the duplicate check again against
 * confirmed faces. False when the face is another account's confirmed face: the enrollment is then removed (face and
 * pinned photo too), so its owner can enroll again.
 */
export async function confirmProvisionalEnrollment(
  deps: RemovalDeps,
  sub: string,
  enrollment: ActiveEnrollment,
  nowMs: number,
): Promise<boolean> {
  if (await isDuplicateByFace(deps, sub, enrollment.faceId)) {
    return refuseDuplicateAtConfirmation(deps, sub, enrollment, nowMs, 'the face is confirmed for another account');
  }
  const confirmedHere = await confirmEnrollment(deps.store, sub, enrollment.faceId, nowMs);
  if (!confirmedHere) {
    // A concurrent sign-in may have confirmed it first; anything else (expired, replaced) is not this face.
    const now = await getActiveEnrollment(deps.store, sub);
    if (now?.state !== 'CONFIRMED' || now.faceId !== enrollment.faceId) return false;
  }
  // Two accounts that confirm the same face at once each searched before the other's write. The search after the
  // write sees any confirmation written before it, so of two that overlap at least one withdraws (both, at worst).
  if (await isDuplicateByFace(deps, sub, enrollment.faceId)) {
    const confirmed = { ...enrollment, state: 'CONFIRMED' as const };
    return refuseDuplicateAtConfirmation(deps, sub, confirmed, nowMs, 'another account confirmed the same face meanwhile');
  }
  if (confirmedHere) {
    logger.info('enrollment confirmed by a live match', { sub });
    countVerdict('EnrollmentConfirmed');
  }
  return true;
}

async function refuseDuplicateAtConfirmation(
  deps: RemovalDeps,
  sub: string,
  enrollment: ActiveEnrollment,
  nowMs: number,
  why: string,
): Promise<false> {
  logger.warn(`enrollment refused at confirmation: ${why}`, { sub });
  countVerdict('EnrollmentRejected', 'DUPLICATE_FACE');
  await removeEnrollment(deps, sub, enrollment, 'DUPLICATE_FACE', nowMs);
  return false;
}

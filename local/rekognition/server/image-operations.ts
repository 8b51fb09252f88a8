/**
 * Rekognition's image and collection operations, computed by the face engine and kept in the collection store:
 * CreateCollection, DeleteCollection, DescribeCollection, ListCollections, ListTagsForResource (of a collection),
 * IndexFaces, ListFaces, DeleteFaces, SearchFacesByImage, SearchFaces, CompareFaces and DetectFaces, with the
 * request and response shapes of the Rekognition API reference. Similarity is the engine's calibrated 0-100 score;
 * matches are ordered by it. Analyses are kept by the images' bytes (../../aws/results-by-bytes.ts): an enrolled ID photo is
 * analysed once, not at every sign-in's CompareFaces.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { CollectionStore, StoredFace } from '../collections/store';
import { ImageDimensionError, ImageFormatError, type AnalysedImage, type DetectedFace, type FaceEngine } from '../engine/types';
import {
  boundingBox,
  faceDetail,
  faceRecord,
  QUALITY_FILTERS,
  qualityReasons,
  type QualityFilter,
  type UnindexedReason,
} from './face-shapes';
import { ResultsByBytes } from '../../aws/results-by-bytes';
import { readImage, type ImageInput, type ImageSource } from './image-source';
import { AwsError } from '../../aws/errors';
import type { OperationTable } from '../../aws/json-protocol';
import { RequestReader } from '../../aws/request-reader';

export interface ImageOperationsOptions {
  engine: FaceEngine;
  store: CollectionStore;
  images: ImageSource;
}

/** Rekognition's smallest accepted side of an image. */
const MIN_IMAGE_SIDE = 80;
/** Rekognition looks at the 100 largest faces of an image. */
const MAX_FACES_PER_IMAGE = 100;
/** FaceMatchThreshold and SimilarityThreshold when the request leaves them out, as Rekognition. */
const DEFAULT_THRESHOLD = 80;
/** Page size when MaxResults is absent or 0 (the model allows 0; an empty page would never advance). */
const DEFAULT_PAGE_SIZE = 1000;
const MAX_PAGE_SIZE = 4096;

const COLLECTION_ID = { required: true, minLength: 1, maxLength: 255, pattern: '[a-zA-Z0-9_.\\-]+' } as const;
const FACE_ID = { pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' } as const;
const EXTERNAL_IMAGE_ID = { minLength: 1, maxLength: 255, pattern: '[a-zA-Z0-9_.\\-:]+' } as const;
const USER_ID = { minLength: 1, maxLength: 128, pattern: '[a-zA-Z0-9_.\\-:]+' } as const;
const ATTRIBUTES = [
  'DEFAULT',
  'ALL',
  'AGE_RANGE',
  'BEARD',
  'EMOTIONS',
  'EYE_DIRECTION',
  'EYEGLASSES',
  'EYES_OPEN',
  'GENDER',
  'MOUTH_OPEN',
  'MUSTACHE',
  'FACE_OCCLUDED',
  'SMILE',
  'SUNGLASSES',
] as const;

const NO_FACE_MESSAGE = 'There are no faces in the image. Should be at least 1.';

interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * Pages through items sorted by key. The token names the last key returned, so pages stay consistent while
 * items are added or removed between calls; it carries the operation's name so one list's token is refused by another.
 */
function paginate<T>(items: readonly T[], keyOf: (item: T) => string, kind: string, token: string | undefined, size: number): Page<T> {
  let start = 0;
  if (token !== undefined) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (!decoded.startsWith(`${kind}:`) || Buffer.from(decoded, 'utf8').toString('base64url') !== token) {
      throw new AwsError('InvalidPaginationTokenException', 'Invalid pagination token');
    }
    const after = decoded.slice(kind.length + 1);
    start = items.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = items.length;
  }
  const pageItems = items.slice(start, start + size);
  const more = start + size < items.length;
  const last = pageItems[pageItems.length - 1];
  return {
    items: pageItems,
    nextToken: more && last !== undefined ? Buffer.from(`${kind}:${keyOf(last)}`, 'utf8').toString('base64url') : undefined,
  };
}

export function createImageOperations({ engine, store, images }: ImageOperationsOptions): OperationTable {
  // An analysis holds a few kilobytes per face (most of it the embedding): 256 one-face images are under 1 MB. Kept
  // 10 minutes at most, so the face data of a deleted photo does not outlive it in memory for long either.
  const analyses = new ResultsByBytes<AnalysedImage>({ keepMs: 10 * 60_000, maxKept: 256 });

  /** Decodes and analyses an image, translating the engine's refusals into Rekognition's exceptions. */
  async function analyse(input: ImageInput): Promise<AnalysedImage> {
    const bytes = await images.load(input);
    try {
      const analysed = await analyses.get(bytes, () => engine.analyse(bytes));
      return { ...analysed, faces: analysed.faces.slice(0, MAX_FACES_PER_IMAGE) };
    } catch (error) {
      if (error instanceof ImageFormatError) {
        throw new AwsError('InvalidImageFormatException', `Request has invalid image format: ${error.message}`);
      }
      if (error instanceof ImageDimensionError) {
        const { width = 0, height = 0 } = await sharp(bytes).metadata();
        if (Math.min(width, height) < MIN_IMAGE_SIDE) {
          throw new AwsError('InvalidParameterException', `Request has invalid parameters: ${error.message}`);
        }
        throw new AwsError('ImageTooLargeException', `Image size is too large: ${error.message}`);
      }
      throw error;
    }
  }

  /** A collection whose embeddings the running engine can compare: vectors from another model are meaningless here. */
  function comparableCollection(collectionId: string) {
    const collection = store.get(collectionId);
    if (collection.faceModelVersion !== engine.modelVersion) {
      throw new AwsError(
        'InvalidParameterException',
        `The collection id: ${collectionId} holds faces of model version ${collection.faceModelVersion}; ` +
          `this engine is ${engine.modelVersion}`,
      );
    }
    return collection;
  }

  /** The largest face passing the quality filter; Rekognition refuses an image without one. */
  function largestFace(image: AnalysedImage, filter: QualityFilter): DetectedFace {
    const face = image.faces.find((candidate) => qualityReasons(candidate, image, filter).length === 0);
    if (!face) throw new AwsError('InvalidParameterException', NO_FACE_MESSAGE);
    return face;
  }

  /** Collection faces at or above the threshold, most similar first, at most maxFaces. */
  function matchFaces(embedding: Float32Array, faces: readonly StoredFace[], threshold: number, maxFaces: number | undefined) {
    return faces
      .map((face) => ({ face, similarity: engine.similarity(embedding, face.embedding) }))
      .filter(({ similarity }) => similarity >= threshold)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, maxFaces)
      .map(({ face, similarity }) => ({ Similarity: similarity, Face: faceRecord(face) }));
  }

  return {
    async CreateCollection(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      const tags = reader.stringMap('Tags', {
        maxEntries: 200,
        key: { minLength: 1, maxLength: 128 },
        value: { minLength: 0, maxLength: 256 },
      });
      reader.finish();
      const collection = await store.create(collectionId, engine.modelVersion, tags ?? {});
      return { StatusCode: 200, CollectionArn: collection.collectionArn, FaceModelVersion: collection.faceModelVersion };
    },

    async DeleteCollection(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      reader.finish();
      await store.delete(collectionId);
      return { StatusCode: 200 };
    },

    async DescribeCollection(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      reader.finish();
      const collection = store.get(collectionId);
      return {
        FaceCount: collection.faces.length,
        FaceModelVersion: collection.faceModelVersion,
        CollectionARN: collection.collectionArn,
        CreationTimestamp: collection.creationTimestamp,
        UserCount: 0,
      };
    },

    async ListTagsForResource(input) {
      const reader = RequestReader.of(input);
      const resourceArn = reader.string('ResourceArn', { required: true, minLength: 20, maxLength: 2048 });
      reader.finish();
      const [, collectionId] = /^arn:[a-z-]+:rekognition:[a-z0-9-]+:\d{12}:collection\/([a-zA-Z0-9_.-]{1,255})$/.exec(resourceArn) ?? [];
      if (!collectionId) throw new AwsError('InvalidParameterException', `Invalid resource ARN: ${resourceArn}`);
      return { Tags: store.get(collectionId).tags };
    },

    async ListCollections(input) {
      const reader = RequestReader.of(input);
      const nextToken = reader.string('NextToken');
      const maxResults = reader.integer('MaxResults', { min: 0, max: MAX_PAGE_SIZE });
      reader.finish();
      const page = paginate(store.ids(), (id) => id, 'ListCollections', nextToken, maxResults || DEFAULT_PAGE_SIZE);
      return {
        CollectionIds: page.items,
        FaceModelVersions: page.items.map((id) => store.get(id).faceModelVersion),
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },

    async IndexFaces(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      const image = readImage(reader, 'Image');
      const externalImageId = reader.string('ExternalImageId', EXTERNAL_IMAGE_ID);
      reader.stringList('DetectionAttributes', {}, { values: ATTRIBUTES });
      const maxFaces = reader.integer('MaxFaces', { min: 1 });
      const filter = reader.enumeration('QualityFilter', QUALITY_FILTERS) ?? 'AUTO';
      reader.finish();
      comparableCollection(collectionId);
      const analysed = await analyse(image!);

      const imageId = randomUUID();
      const indexed: { face: DetectedFace; stored: StoredFace }[] = [];
      const unindexed: { face: DetectedFace; reasons: UnindexedReason[] }[] = [];
      for (const face of analysed.faces) {
        const reasons = qualityReasons(face, analysed, filter);
        if (reasons.length === 0 && maxFaces !== undefined && indexed.length >= maxFaces) reasons.push('EXCEEDS_MAX_FACES');
        if (reasons.length > 0) {
          unindexed.push({ face, reasons });
          continue;
        }
        indexed.push({
          face,
          stored: {
            faceId: randomUUID(),
            imageId,
            ...(externalImageId !== undefined ? { externalImageId } : {}),
            boundingBox: boundingBox(face),
            confidence: face.confidence,
            indexFacesModelVersion: engine.modelVersion,
            embedding: face.embedding,
          },
        });
      }
      if (indexed.length > 0)
        await store.addFaces(
          collectionId,
          indexed.map(({ stored }) => stored),
        );
      return {
        FaceRecords: indexed.map(({ face, stored }) => ({ Face: faceRecord(stored), FaceDetail: faceDetail(face) })),
        FaceModelVersion: engine.modelVersion,
        UnindexedFaces: unindexed.map(({ face, reasons }) => ({ Reasons: reasons, FaceDetail: faceDetail(face) })),
      };
    },

    async ListFaces(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      const nextToken = reader.string('NextToken', { maxLength: 255 });
      const maxResults = reader.integer('MaxResults', { min: 0, max: MAX_PAGE_SIZE });
      const userId = reader.string('UserId', USER_ID);
      const faceIds = reader.stringList('FaceIds', { minLength: 1, maxLength: 4096 }, FACE_ID);
      reader.finish();
      const collection = store.get(collectionId);
      const wanted = faceIds && new Set(faceIds);
      // This server keeps no users (AssociateFaces is not offered), so a UserId filter matches no face.
      const faces = collection.faces.filter((face) => userId === undefined && (!wanted || wanted.has(face.faceId)));
      const page = paginate(faces, (face) => face.faceId, 'ListFaces', nextToken, maxResults || DEFAULT_PAGE_SIZE);
      return {
        Faces: page.items.map(faceRecord),
        FaceModelVersion: collection.faceModelVersion,
        ...(page.nextToken ? { NextToken: page.nextToken } : {}),
      };
    },

    async DeleteFaces(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      const faceIds = reader.stringList('FaceIds', { required: true, minLength: 1, maxLength: 4096 }, FACE_ID);
      reader.finish();
      const { deleted, missing } = await store.deleteFaces(collectionId, faceIds!);
      return {
        DeletedFaces: deleted,
        UnsuccessfulFaceDeletions: missing.map((faceId) => ({ FaceId: faceId, Reasons: ['FACE_NOT_FOUND'] })),
      };
    },

    async SearchFacesByImage(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      const image = readImage(reader, 'Image');
      const maxFaces = reader.integer('MaxFaces', { min: 1, max: 4096 });
      const threshold = reader.float('FaceMatchThreshold', { min: 0, max: 100 }) ?? DEFAULT_THRESHOLD;
      const filter = reader.enumeration('QualityFilter', QUALITY_FILTERS) ?? 'NONE';
      reader.finish();
      comparableCollection(collectionId);
      const analysed = await analyse(image!);
      const searched = largestFace(analysed, filter);
      // Read the faces after the analysis, so faces indexed meanwhile are searched too.
      const { faces } = comparableCollection(collectionId);
      return {
        SearchedFaceBoundingBox: boundingBox(searched),
        SearchedFaceConfidence: searched.confidence,
        FaceMatches: matchFaces(searched.embedding, faces, threshold, maxFaces),
        FaceModelVersion: engine.modelVersion,
      };
    },

    async SearchFaces(input) {
      const reader = RequestReader.of(input);
      const collectionId = reader.string('CollectionId', COLLECTION_ID);
      const faceId = reader.string('FaceId', { required: true, ...FACE_ID });
      const maxFaces = reader.integer('MaxFaces', { min: 1, max: 4096 });
      const threshold = reader.float('FaceMatchThreshold', { min: 0, max: 100 }) ?? DEFAULT_THRESHOLD;
      reader.finish();
      const { faces } = comparableCollection(collectionId);
      const searched = faces.find((face) => face.faceId === faceId);
      if (!searched) throw new AwsError('InvalidParameterException', `faceId ${faceId} was not found in the collection.`);
      const others = faces.filter((face) => face.faceId !== faceId);
      return {
        SearchedFaceId: faceId,
        FaceMatches: matchFaces(searched.embedding, others, threshold, maxFaces),
        FaceModelVersion: engine.modelVersion,
      };
    },

    async CompareFaces(input) {
      const reader = RequestReader.of(input);
      const sourceImage = readImage(reader, 'SourceImage');
      const targetImage = readImage(reader, 'TargetImage');
      const threshold = reader.float('SimilarityThreshold', { min: 0, max: 100 }) ?? DEFAULT_THRESHOLD;
      const filter = reader.enumeration('QualityFilter', QUALITY_FILTERS) ?? 'NONE';
      reader.finish();
      const source = await analyse(sourceImage!);
      const sourceFace = largestFace(source, filter);
      const target = await analyse(targetImage!);
      const compared = target.faces
        .filter((face) => qualityReasons(face, target, filter).length === 0)
        .map((face) => ({ face, similarity: engine.similarity(sourceFace.embedding, face.embedding) }))
        .sort((a, b) => b.similarity - a.similarity);
      return {
        SourceImageFace: { BoundingBox: boundingBox(sourceFace), Confidence: sourceFace.confidence },
        FaceMatches: compared
          .filter(({ similarity }) => similarity >= threshold)
          .map(({ face, similarity }) => ({ Similarity: similarity, Face: faceDetail(face) })),
        UnmatchedFaces: compared.filter(({ similarity }) => similarity < threshold).map(({ face }) => faceDetail(face)),
      };
    },

    async DetectFaces(input) {
      const reader = RequestReader.of(input);
      const image = readImage(reader, 'Image');
      reader.stringList('Attributes', {}, { values: ATTRIBUTES });
      reader.finish();
      const analysed = await analyse(image!);
      return { FaceDetails: analysed.faces.map(faceDetail) };
    },
  };
}

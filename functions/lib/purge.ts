/**
 * Removes everything stored about one user: the faces in the collection, the objects under the user's prefixes,
 * and the DynamoDB items under `USER#<sub>`. Each step pages until nothing is left and ignores what is already
 * gone, so a purge that failed halfway finishes when it runs again. Faces go first and items last: the items are
 * where a retry would otherwise find face ids, and the collection is searched by ExternalImageId as well, so a
 * face whose record was lost is found too. The Cognito user is the caller's business, after this.
 */
import { DeleteFacesCommand, paginateListFaces, type RekognitionClient } from '@aws-sdk/client-rekognition';
import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { requestOptions } from './aws-clients';
import { pause } from './deadline';

export interface PurgeTargets {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  rekognition: RekognitionClient;
  tableName: string;
  bucketName: string;
  collectionId: string;
}

/** How much of a user's data one purge removed. */
export interface PurgeCounts {
  faces: number;
  objects: number;
  items: number;
}

/** Every S3 prefix that holds a user's images: uploads, pinned ID photos, liveness reference and audit images. */
export const USER_PREFIX_ROOTS = ['enrollment/', 'id-photos/', 'liveness/'] as const;
export const userPrefixes = (sub: string): string[] => USER_PREFIX_ROOTS.map((root) => `${root}${sub}/`);

/** DeleteFaces takes at most 4096 ids; ListFaces pages hold at most 4096 faces. */
const FACE_BATCH = 4096;
/** DeleteObjects takes at most 1000 keys, one ListObjectsV2 page. */
const OBJECT_BATCH = 1000;
/** BatchWriteItem takes at most 25 requests. */
const ITEM_BATCH = 25;
/** Unprocessed batch items are retried this many times (with a short pause) before the purge fails, to be run again. */
const UNPROCESSED_RETRIES = 5;

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * The face ids of each owner (the ExternalImageId IndexFaces sets to the sub), in one pass over the collection;
 * only the `owners` given, or every owner when none are.
 */
export async function facesByOwner(targets: PurgeTargets, owners?: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const pages = paginateListFaces(
    { client: targets.rekognition, pageSize: FACE_BATCH },
    { CollectionId: targets.collectionId },
    requestOptions(),
  );
  for await (const page of pages) {
    for (const face of page.Faces ?? []) {
      const owner = face.ExternalImageId;
      if (!owner || !face.FaceId || (owners && !owners.has(owner))) continue;
      found.set(owner, [...(found.get(owner) ?? []), face.FaceId]);
    }
  }
  return found;
}

/** Deletes these faces; faces already gone count as nothing. */
export async function deleteFaces(targets: PurgeTargets, faceIds: string[]): Promise<number> {
  let deleted = 0;
  for (const batch of chunks(faceIds, FACE_BATCH)) {
    const { DeletedFaces = [] } = await targets.rekognition.send(
      new DeleteFacesCommand({ CollectionId: targets.collectionId, FaceIds: batch }),
      requestOptions(),
    );
    deleted += DeletedFaces.length;
  }
  return deleted;
}

/** Deletes these keys of the bucket (at most a ListObjectsV2 page, 1,000, at a time); keys already gone count as deleted. */
export async function deleteObjectKeys(s3: S3Client, bucket: string, keys: string[]): Promise<number> {
  for (const batch of chunks(keys, OBJECT_BATCH)) {
    const { Errors = [] } = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      requestOptions(),
    );
    if (Errors.length > 0) {
      const [first] = Errors;
      // The code says why; the key is left out, as it names a user.
      const example = `${first?.Code} ${first?.Message ?? ''}`.trim();
      throw new Error(`${Errors.length} of ${batch.length} objects of ${bucket} could not be deleted, e.g. ${example}`);
    }
  }
  return keys.length;
}

/** Deletes every object under the prefix (the whole bucket without one), a page at a time. */
export async function deleteObjectsUnder(s3: S3Client, bucket: string, prefix?: string): Promise<number> {
  let deleted = 0;
  const pages = paginateListObjectsV2({ client: s3, pageSize: OBJECT_BATCH }, { Bucket: bucket, Prefix: prefix }, requestOptions());
  for await (const page of pages) {
    const keys = (page.Contents ?? []).flatMap(({ Key }) => (Key === undefined ? [] : [Key]));
    deleted += await deleteObjectKeys(s3, bucket, keys);
  }
  return deleted;
}

/** Every item under `USER#<sub>` (the `projection` of each), read consistently so nothing written before is missed. */
export async function userItems(targets: PurgeTargets, sub: string, projection = 'pk, sk, faceId'): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: targets.dynamo },
    {
      TableName: targets.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `USER#${sub}` },
      ProjectionExpression: projection,
      ConsistentRead: true,
    },
    requestOptions(),
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

async function deleteItems(targets: PurgeTargets, keys: Record<string, unknown>[]): Promise<void> {
  let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > UNPROCESSED_RETRIES) throw new Error(`${requests.length} items stayed unprocessed`);
    if (attempt > 0) await pause(50 * 2 ** attempt);
    const { UnprocessedItems } = await targets.dynamo.send(
      new BatchWriteCommand({ RequestItems: { [targets.tableName]: requests } }),
      requestOptions(),
    );
    requests = (UnprocessedItems?.[targets.tableName] ?? []).flatMap((request) =>
      request.DeleteRequest?.Key ? [{ DeleteRequest: { Key: request.DeleteRequest.Key } }] : [],
    );
  }
}

/**
 * The lockout and the failures counted toward it: a pseudo-identity's (an unknown email's) must last exactly as a
 * real user's, or their early end would tell the two apart. The sweep leaves them to expire (a day at most).
 */
export const isAttemptLimitItem = (sk: string): boolean => sk === 'LOCKOUT' || sk.startsWith('FAILURE#');

/**
 * Removes every face, object and item of the user (with `keepAttemptLimits`, all but the lockout and failures).
 * Faces are found by the ids the items store and by owner in the collection; `facesOfOwner` are the ones the caller
 * already found by owner (the sweep's one pass over the collection), otherwise the collection is searched for this
 * user alone.
 */
export async function purgeUserData(
  targets: PurgeTargets,
  sub: string,
  facesOfOwner?: string[],
  { keepAttemptLimits = false } = {},
): Promise<PurgeCounts> {
  const storedFaceIds = (await userItems(targets, sub)).flatMap(({ faceId }) => (typeof faceId === 'string' ? [faceId] : []));
  const ownedFaceIds = facesOfOwner ?? (await facesByOwner(targets, new Set([sub]))).get(sub) ?? [];
  const faces = await deleteFaces(targets, [...new Set([...storedFaceIds, ...ownedFaceIds])]);
  let objects = 0;
  for (const prefix of userPrefixes(sub)) objects += await deleteObjectsUnder(targets.s3, targets.bucketName, prefix);
  // Read again: items written while the faces and objects went (a sign-in in flight) go too.
  const keys = (await userItems(targets, sub))
    .filter(({ sk }) => !(keepAttemptLimits && isAttemptLimitItem(String(sk))))
    .map(({ pk, sk }) => ({ pk, sk }));
  for (const batch of chunks(keys, ITEM_BATCH)) await deleteItems(targets, batch);
  return { faces, objects, items: keys.length };
}

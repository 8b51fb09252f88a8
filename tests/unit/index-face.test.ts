import { jest } from '@jest/globals';
import {
  CompareFacesCommand,
  DeleteFacesCommand,
  IndexFacesCommand,
  SearchFacesByImageCommand,
  SearchFacesCommand,
  type IndexFacesCommandOutput,
} from '@aws-sdk/client-rekognition';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AnalyzeIDCommand, TextractClient } from '@aws-sdk/client-textract';
import type { S3Event } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { makeHandler } from '../../functions/index-face/handler';
import { hasJpegSignature } from '../../functions/lib/enrollment';
import { decodeS3EventKey } from '../../functions/lib/enrollment-key';
import {
  arrangeEmptyTable,
  awsCallInputs,
  awsCallNames,
  checkPlacesHeld,
  conditionalCheckFailed,
  dynamoMock,
  failuresRecorded,
  nowSeconds,
  objectBody,
  putItems,
  storeItem,
  receivedInputs,
  rekognitionMock,
  resetAwsMocks,
  s3Mock,
  serviceError,
  storeEnrollment,
} from './support/aws-mocks';
import { ENROLL_KEY, OTHER_SUB, s3Event, SUB } from './support/events';
import { watchMetrics, type CountedMetric } from './support/metrics';
import { arrangeCollection, faceMatch, issueKey, JPEG, NEW_FACE_ID, storePhoto, UPLOADED_AT } from './support/photos';
import { BUCKET, COLLECTION, NOW_MS, TABLE, testParts } from './support/parts';
import { analyzeIdAnswer, PASSPORT } from './support/textract';

const handler = makeHandler(testParts());

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
const PINNED_KEY = new RegExp(`^id-photos/${SUB}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.jpg$`);

const indexed = (output: Partial<IndexFacesCommandOutput>) =>
  rekognitionMock.on(IndexFacesCommand).resolves({ FaceRecords: [], UnindexedFaces: [], ...output });

/** The decision written on the issued key, if any. */
/** The values of the revocation of the decision on `key` (ACCEPTED to REJECTED), if one was sent. */
function revocationOf(key: string): Record<string, unknown> | undefined {
  const update = receivedInputs(dynamoMock, UpdateCommand).find(
    (input) => (input.Key as { sk: string }).sk === `ENROLLMENT#${key}` && String(input.UpdateExpression).includes('revokedAt'),
  );
  return update?.ExpressionAttributeValues as Record<string, unknown> | undefined;
}

function writtenDecision(): Record<string, unknown> | undefined {
  const update = receivedInputs(dynamoMock, UpdateCommand).find(
    (input) => (input.Key as { sk: string }).sk === `ENROLLMENT#${ENROLL_KEY}` && String(input.UpdateExpression).includes('#status'),
  );
  if (!update) return undefined;
  const values = update.ExpressionAttributeValues as Record<string, unknown>;
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name.slice(1), value]));
}

const activeEnrollment = () => putItems('ACTIVE_ENROLLMENT')[0];
const pinnedCopies = () => receivedInputs(s3Mock, PutObjectCommand);
const deletedObjects = () => receivedInputs(s3Mock, DeleteObjectCommand).map((input) => input.Key);
const deletedFaces = () => receivedInputs(rekognitionMock, DeleteFacesCommand);

function eventForKey(encodedKey: string): S3Event {
  const event = s3Event('enrollment-upload');
  event.Records[0]!.s3.object.key = encodedKey;
  return event;
}

let metrics: CountedMetric[];
beforeEach(() => {
  resetAwsMocks();
  arrangeEmptyTable();
  arrangeCollection();
  storePhoto();
  issueKey(SUB, ENROLL_KEY);
  metrics = watchMetrics();
});

afterEach(() => jest.restoreAllMocks());

describe('index face: accepted photos', () => {
  test('accepts an ID photo with one good face and records the decision on the issued key', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED', faceId: NEW_FACE_ID, uploadedAt: UPLOADED_AT.toISOString() });
    const update = receivedInputs(dynamoMock, UpdateCommand)[0];
    expect(update).toMatchObject({
      Key: { pk: `USER#${SUB}`, sk: `ENROLLMENT#${ENROLL_KEY}` },
    });
    expect(metrics).toEqual([{ name: 'EnrollmentAccepted' }]);
  });

  test('pins the checked bytes to id-photos/<sub>/ before indexing, and records that copy', async () => {
    await handler(s3Event('enrollment-upload'));
    const [copy] = pinnedCopies();
    expect(copy).toMatchObject({ Bucket: BUCKET, ContentType: 'image/jpeg', Body: JPEG });
    expect(copy!.Key).toMatch(PINNED_KEY);
    expect(writtenDecision()?.photoKey).toBe(copy!.Key);
    expect(awsCallNames().indexOf('S3.PutObjectCommand')).toBeLessThan(awsCallNames().indexOf('Rekognition.IndexFacesCommand'));
  });

  test('searches and indexes the bytes it checked, never the object at the uploadable key', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(rekognitionMock, SearchFacesByImageCommand)[0]).toMatchObject({
      CollectionId: COLLECTION,
      Image: { Bytes: JPEG },
      FaceMatchThreshold: 90,
    });
    expect(receivedInputs(rekognitionMock, IndexFacesCommand)[0]).toMatchObject({ Image: { Bytes: JPEG } });
  });

  test('indexes one face under the sub from the key with the quality filter', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(rekognitionMock, IndexFacesCommand)[0]).toMatchObject({
      CollectionId: COLLECTION,
      ExternalImageId: SUB,
      MaxFaces: 1,
      QualityFilter: 'AUTO',
    });
  });

  test('takes the owner from the key, never from object metadata the uploader wrote', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: JPEG.length, ContentType: 'image/jpeg', Metadata: { sub: OTHER_SUB } });
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(rekognitionMock, IndexFacesCommand)[0]).toMatchObject({ ExternalImageId: SUB });
  });

  test('searches for the face among other accounts before indexing it', async () => {
    await handler(s3Event('enrollment-upload'));
    const rekognitionCalls = awsCallNames().filter((name) => name.startsWith('Rekognition.'));
    expect(rekognitionCalls).toEqual(['Rekognition.SearchFacesByImageCommand', 'Rekognition.IndexFacesCommand']);
  });

  test('makes the accepted photo a PROVISIONAL enrollment for PROVISIONAL_ENROLLMENT_HOURS', async () => {
    await handler(s3Event('enrollment-upload'));
    const active = activeEnrollment()!;
    expect(active).toMatchObject({
      pk: `USER#${SUB}`,
      key: ENROLL_KEY,
      faceId: NEW_FACE_ID,
      photoKey: writtenDecision()?.photoKey,
      state: 'PROVISIONAL',
    });
    expect(active.provisionalUntil).toBe(nowSeconds() + 24 * 3600);
  });

  test('removes the uploaded object once the photo is decided', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(deletedObjects()).toEqual([ENROLL_KEY]);
  });

  test('accepts a face that matches only this same user', async () => {
    rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [faceMatch(SUB, 'face-old')] });
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED' });
  });

  test.each([
    ["another account's provisional face", { state: 'PROVISIONAL', faceId: 'face-other' }],
    ["a face that is no longer another account's current face", { state: 'CONFIRMED', faceId: 'face-other-newer' }],
  ] as const)('accepts a face that matches %s: only confirmed faces block', async (_case, other) => {
    rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [faceMatch(OTHER_SUB, 'face-other')] });
    storeEnrollment(OTHER_SUB, other);
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED' });
  });

  test('replaces an expired provisional enrollment and removes its face from the collection', async () => {
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({ Attributes: { faceId: 'face-expired' } });
    await handler(s3Event('enrollment-upload'));
    expect(deletedFaces()).toEqual([{ CollectionId: COLLECTION, FaceIds: ['face-expired'] }]);
  });

  test('revokes the decision on the expired enrollment it replaces, so that no event can make that face current again', async () => {
    const expiredKey = ENROLL_KEY.replace('3b9c1e52', '5e1f3a74');
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({ Attributes: { key: expiredKey, faceId: 'face-expired' } });
    await handler(s3Event('enrollment-upload'));
    expect(revocationOf(expiredKey)).toMatchObject({ ':status': 'REJECTED', ':reason': 'EXPIRED_UNCONFIRMED' });
  });

  test('removes the new face and its pinned copy when another upload of the user became the enrollment first', async () => {
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).rejects(conditionalCheckFailed());
    await handler(s3Event('enrollment-upload'));
    expect(deletedFaces()).toEqual([{ CollectionId: COLLECTION, FaceIds: [NEW_FACE_ID] }]);
    expect(deletedObjects()).toContain(pinnedCopies()[0]!.Key);
  });

  test('revokes its own decision when another upload became the enrollment first, as its face is deleted', async () => {
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).rejects(conditionalCheckFailed());
    await handler(s3Event('enrollment-upload'));
    expect(revocationOf(ENROLL_KEY)).toMatchObject({ ':status': 'REJECTED', ':reason': 'ALREADY_ENROLLED' });
  });

  test('keeps the face when verify activated this same photo first, as both decide an upload', async () => {
    // Verify's activation lands between this function's read of the enrollment and its own conditional write.
    let verifyActivated = false;
    const active = { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT', key: ENROLL_KEY, faceId: NEW_FACE_ID, photoKey: 'id-photos/x.jpg' };
    dynamoMock
      .on(GetCommand, { Key: { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' } })
      .callsFake(() => (verifyActivated ? { Item: active } : {}));
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).callsFake(() => {
      verifyActivated = true;
      throw conditionalCheckFailed();
    });
    await handler(s3Event('enrollment-upload'));
    expect(deletedFaces()).toEqual([]);
  });

  test('with DUPLICATE_FACE_POLICY=ALLOW, enrolls a face without searching other accounts', async () => {
    const allowing = makeHandler(testParts({ env: { DUPLICATE_FACE_POLICY: 'ALLOW' } }));
    await allowing(s3Event('enrollment-upload'));
    expect(rekognitionMock.commandCalls(SearchFacesByImageCommand)).toHaveLength(0);
    expect(rekognitionMock.commandCalls(SearchFacesCommand)).toHaveLength(0);
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(1);
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED' });
  });
});

describe('index face: rejected photos', () => {
  const rejectedWith = async (reason: string) => {
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason });
    expect(writtenDecision()?.faceId).toBeUndefined();
    expect(activeEnrollment()).toBeUndefined();
    expect(metrics).toEqual([{ name: 'EnrollmentRejected', reason }]);
  };

  test('rejects an upload while the user has a current enrollment, without looking at it', async () => {
    storeEnrollment(SUB, { state: 'CONFIRMED' });
    await rejectedWith('ALREADY_ENROLLED');
    expect(awsCallNames().filter((name) => /HeadObject|GetObject|Rekognition/.test(name))).toEqual([]);
  });

  test('rejects an upload while the user has an unexpired provisional enrollment', async () => {
    storeEnrollment(SUB, { state: 'PROVISIONAL' });
    await rejectedWith('ALREADY_ENROLLED');
  });

  test('rejects an ID photo of 0 bytes', async () => {
    storePhoto(new Uint8Array(), 'image/jpeg', 0);
    await rejectedWith('EMPTY');
  });

  test('rejects an ID photo of 30 MB without reading it', async () => {
    storePhoto(JPEG, 'image/jpeg', 30 * 1024 * 1024);
    await rejectedWith('TOO_LARGE');
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  test('rejects an object replaced by a larger one between HEAD and GET', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(new Uint8Array(5 * 1024 * 1024 + 1).fill(0xff)), LastModified: UPLOADED_AT });
    await rejectedWith('TOO_LARGE');
  });

  test('rejects an object stored with a type other than image/jpeg', async () => {
    storePhoto(PNG, 'image/png');
    await rejectedWith('WRONG_TYPE');
  });

  test.each([
    ['a PDF', new TextEncoder().encode('%PDF-1.7 not a photo')],
    ['a PNG declared as JPEG', PNG],
  ])('rejects %s whose bytes are not a JPEG, before any Rekognition call', async (_case, bytes) => {
    storePhoto(bytes);
    await rejectedWith('NOT_AN_IMAGE');
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('rejects an image Rekognition cannot decode', async () => {
    rekognitionMock.on(SearchFacesByImageCommand).rejects(serviceError('InvalidImageFormatException'));
    await rejectedWith('NOT_AN_IMAGE');
  });

  test('rejects an image Rekognition finds too large, and removes its pinned copy', async () => {
    rekognitionMock.on(IndexFacesCommand).rejects(serviceError('ImageTooLargeException'));
    await rejectedWith('TOO_LARGE');
    expect(deletedObjects()).toContain(pinnedCopies()[0]!.Key);
  });

  test('rejects an ID photo with no face (the search refuses it)', async () => {
    rekognitionMock.on(SearchFacesByImageCommand).rejects(serviceError('InvalidParameterException', 'There are no faces in the image'));
    await rejectedWith('NO_FACE');
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
  });

  test('rejects an ID photo in which indexing finds no face', async () => {
    indexed({});
    await rejectedWith('NO_FACE');
  });

  test('rejects an ID photo whose only face is of low quality', async () => {
    indexed({ UnindexedFaces: [{ Reasons: ['LOW_SHARPNESS', 'LOW_BRIGHTNESS'] }] });
    await rejectedWith('LOW_QUALITY');
  });

  test('rejects an ID photo with several faces and removes the face it indexed', async () => {
    indexed({ FaceRecords: [{ Face: { FaceId: 'face-largest' } }], UnindexedFaces: [{ Reasons: ['EXCEEDS_MAX_FACES'] }] });
    await rejectedWith('MULTIPLE_FACES');
    expect(deletedFaces()).toContainEqual({ CollectionId: COLLECTION, FaceIds: ['face-largest'] });
  });

  /** Provisional faces of one photo on throwaway accounts, ahead of the confirmed face in the search's order. */
  function searchFinds(fillers: number, ...after: ReturnType<typeof faceMatch>[]) {
    const matches = [...Array.from({ length: fillers }, (_, n) => faceMatch(`throwaway-${n}`, `face-throwaway-${n}`)), ...after];
    rekognitionMock
      .on(SearchFacesByImageCommand)
      .callsFake((input: { MaxFaces: number }) => ({ FaceMatches: matches.slice(0, input.MaxFaces) }));
  }

  test("rejects another account's confirmed face found behind ten provisional faces of the same photo", async () => {
    searchFinds(10, faceMatch(OTHER_SUB, 'face-other'));
    storeEnrollment(OTHER_SUB, { state: 'CONFIRMED', faceId: 'face-other' });
    await rejectedWith('DUPLICATE_FACE');
  });

  test("rejects a face whose matches fill the search's limit, since a confirmed face beyond it cannot be ruled out", async () => {
    searchFinds(4096);
    await rejectedWith('DUPLICATE_FACE');
  });

  test('accepts a face that matches only provisional faces, however many', async () => {
    searchFinds(100);
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED' });
  });

  test("rejects another account's confirmed face, without indexing or pinning it", async () => {
    rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [faceMatch(OTHER_SUB, 'face-other')] });
    storeEnrollment(OTHER_SUB, { state: 'CONFIRMED', faceId: 'face-other' });
    await rejectedWith('DUPLICATE_FACE');
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
    expect(pinnedCopies()).toEqual([]);
  });
});

describe('index face: issued keys, decided once', () => {
  test('refuses a key that was never issued, and deletes the object without looking at it', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } }).resolves({});
    await handler(s3Event('enrollment-upload'));
    expect(awsCallNames()).toEqual(['DynamoDB.GetCommand', 'S3.DeleteObjectCommand']);
    expect(deletedObjects()).toEqual([ENROLL_KEY]);
  });

  const claimOf = () => receivedInputs(dynamoMock, UpdateCommand).find((input) => input.UpdateExpression === 'SET decidingUntil = :until');
  const issuedUntil = (decidingUntil: number) => ({ Item: { key: ENROLL_KEY, status: 'ISSUED', decidingUntil } });

  test('claims the decision on the upload for as long as it may run, before it reads the photo', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(claimOf()).toEqual({
      TableName: TABLE,
      Key: { pk: `USER#${SUB}`, sk: `ENROLLMENT#${ENROLL_KEY}` },
      UpdateExpression: 'SET decidingUntil = :until',
      ConditionExpression: '#status = :issued AND (attribute_not_exists(decidingUntil) OR decidingUntil <= :now)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':issued': 'ISSUED', ':now': NOW_MS, ':until': NOW_MS + 27_000 },
    });
    expect(awsCallNames().indexOf('DynamoDB.UpdateCommand')).toBeLessThan(awsCallNames().indexOf('S3.HeadObjectCommand'));
  });

  test('waits for the decision of the run that claimed the upload first, and neither reads nor indexes the photo itself', async () => {
    dynamoMock
      .on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } })
      .resolvesOnce(issuedUntil(NOW_MS + 4000))
      .resolves({ Item: { key: ENROLL_KEY, status: 'REJECTED', reason: 'NO_FACE' } });
    await handler(s3Event('enrollment-upload'));
    expect(claimOf()).toBeUndefined();
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
    expect(deletedObjects()).toEqual([ENROLL_KEY]);
  });

  test('waits as well when another run claimed the upload between its read and its claim', async () => {
    dynamoMock.on(UpdateCommand, { UpdateExpression: 'SET decidingUntil = :until' }).rejects(conditionalCheckFailed());
    dynamoMock
      .on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } })
      .resolvesOnce({ Item: { key: ENROLL_KEY, status: 'ISSUED' } })
      .resolvesOnce(issuedUntil(NOW_MS + 4000))
      .resolves({ Item: { key: ENROLL_KEY, status: 'REJECTED', reason: 'NO_FACE' } });
    await handler(s3Event('enrollment-upload'));
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
  });

  test("takes the upload over when the other run's claim ended without a decision, as when that run died", async () => {
    issueKey(SUB, ENROLL_KEY, { status: 'ISSUED', decidingUntil: NOW_MS });
    await handler(s3Event('enrollment-upload'));
    expect(claimOf()).toBeDefined();
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED', faceId: NEW_FACE_ID });
  });

  test('ends its claim when it cannot decide (the photo is gone), so that no other run waits for it', async () => {
    s3Mock.on(HeadObjectCommand).rejects(serviceError('NotFound', 'NotFound', 404));
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(dynamoMock, UpdateCommand).find((input) => input.UpdateExpression === 'REMOVE decidingUntil')).toEqual({
      TableName: TABLE,
      Key: { pk: `USER#${SUB}`, sk: `ENROLLMENT#${ENROLL_KEY}` },
      UpdateExpression: 'REMOVE decidingUntil',
      ConditionExpression: '#status = :issued AND decidingUntil = :until',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':issued': 'ISSUED', ':until': NOW_MS + 27_000 },
    });
  });

  test('decides nothing when the issued key is gone while it waits (the account was deleted), and deletes the upload', async () => {
    dynamoMock
      .on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } })
      .resolvesOnce(issuedUntil(NOW_MS + 4000))
      .resolves({});
    await handler(s3Event('enrollment-upload'));
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(deletedObjects()).toEqual([ENROLL_KEY]);
  });

  test('never decides a rejected key again, and deletes a second upload to it', async () => {
    issueKey(SUB, ENROLL_KEY, { status: 'REJECTED', reason: 'NO_FACE' });
    await handler(s3Event('enrollment-upload'));
    expect(awsCallNames()).toEqual(['DynamoDB.GetCommand', 'S3.DeleteObjectCommand']);
  });

  test('never decides an accepted key again: a second upload to it is deleted unseen', async () => {
    const accepted = {
      status: 'ACCEPTED',
      faceId: NEW_FACE_ID,
      photoKey: `id-photos/${SUB}/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a.jpg`,
      uploadedAt: UPLOADED_AT.toISOString(),
    };
    issueKey(SUB, ENROLL_KEY, accepted);
    storeEnrollment(SUB, { state: 'PROVISIONAL', key: ENROLL_KEY, faceId: NEW_FACE_ID, photoKey: accepted.photoKey });
    await handler(s3Event('enrollment-upload'));
    expect(awsCallNames()).toEqual(['DynamoDB.GetCommand', 'DynamoDB.GetCommand', 'S3.DeleteObjectCommand']);
  });

  test('removes its own face and pinned copy when a concurrent run decided first', async () => {
    dynamoMock
      .on(UpdateCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` }, ExpressionAttributeValues: { ':status': 'ACCEPTED' } })
      .rejects(conditionalCheckFailed());
    dynamoMock
      .on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } })
      .resolvesOnce({ Item: { key: ENROLL_KEY, status: 'ISSUED' } })
      .resolves({ Item: { key: ENROLL_KEY, status: 'REJECTED', reason: 'NO_FACE' } });
    await handler(s3Event('enrollment-upload'));
    expect(deletedFaces()).toEqual([{ CollectionId: COLLECTION, FaceIds: [NEW_FACE_ID] }]);
    expect(deletedObjects()).toContain(pinnedCopies()[0]!.Key);
    expect(metrics).toEqual([]);
  });

  test.each([
    ['404', serviceError('NotFound', 'NotFound', 404)],
    ['403 (no s3:ListBucket)', serviceError('UnknownError', 'UnknownError', 403)],
  ])('ignores an object deleted before it could be read (HeadObject %s)', async (_case, error) => {
    s3Mock.on(HeadObjectCommand).rejects(error);
    await expect(handler(s3Event('enrollment-upload'))).resolves.toBeUndefined();
    expect(writtenDecision()).toBeUndefined();
  });

  test('fails with the fixed error on throttling, deciding nothing, so S3 redelivers the event', async () => {
    rekognitionMock.on(IndexFacesCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));
    await expect(handler(s3Event('enrollment-upload'))).rejects.toThrow(/^Request failed\.$/);
    expect(writtenDecision()).toBeUndefined();
  });

  test('removes its pinned copy when indexing fails, as no decision records it', async () => {
    rekognitionMock.on(IndexFacesCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));
    await expect(handler(s3Event('enrollment-upload'))).rejects.toThrow(/^Request failed\.$/);
    expect(deletedObjects()).toEqual([pinnedCopies()[0]!.Key]);
  });

  test('fails on a timeout so S3 redelivers the event', async () => {
    s3Mock.on(GetObjectCommand).rejects(serviceError('TimeoutError'));
    await expect(handler(s3Event('enrollment-upload'))).rejects.toThrow(/^Request failed\.$/);
  });
});

describe('index face: keys and events', () => {
  test('decodes keys as S3 encodes them, with + for a space', () => {
    expect(decodeS3EventKey('enrollment/ID+photo+%28front%29%2B1.jpg')).toBe('enrollment/ID photo (front)+1.jpg');
  });

  test('indexes a key that arrives percent-encoded', async () => {
    const encoded = ENROLL_KEY.replace('.jpg', '%2Ejpg').replace(/-/g, '%2D');
    await handler(eventForKey(encoded));
    expect(receivedInputs(s3Mock, HeadObjectCommand)).toContainEqual({ Bucket: BUCKET, Key: ENROLL_KEY });
  });

  test.each([
    ['a key that decodes to a name we never issue', s3Event('encoded-key')],
    ['a key outside enrollment/', s3Event('outside-enrollment')],
    ['a PNG key', eventForKey(ENROLL_KEY.replace('.jpg', '.png'))],
    ['a key with broken percent-encoding', eventForKey(`enrollment/${SUB}/%E0%A4%A.jpg`)],
  ])('ignores %s without any AWS call', async (_case, event) => {
    await handler(event);
    expect(awsCallNames()).toEqual([]);
  });

  test('ignores an event from another bucket', async () => {
    const event = s3Event('enrollment-upload');
    event.Records[0]!.s3.bucket.name = 'someone-elses-bucket';
    await handler(event);
    expect(awsCallNames()).toEqual([]);
  });

  test('ignores an event that is not an object creation', async () => {
    const event = s3Event('enrollment-upload');
    event.Records[0]!.eventName = 'ObjectRemoved:Delete';
    await handler(event);
    expect(awsCallNames()).toEqual([]);
  });

  test('processes every record of an event', async () => {
    const event = s3Event('enrollment-upload');
    const second = structuredClone(event.Records[0]!);
    second.s3.object.key = ENROLL_KEY.replace('3b9c1e52', '4c0d2f63');
    event.Records.push(second);
    await handler(event);
    expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key!.sk)).toEqual(
      expect.arrayContaining([`ENROLLMENT#${ENROLL_KEY}`, `ENROLLMENT#${second.s3.object.key}`]),
    );
  });

  test('recognises the JPEG signature only at the start of the bytes', () => {
    expect(hasJpegSignature(JPEG)).toBe(true);
    expect(hasJpegSignature(PNG)).toBe(false);
    expect(hasJpegSignature(Uint8Array.from([0xff, 0xd8]))).toBe(false);
  });
});

describe('index face: a replacement of a confirmed ID photo', () => {
  const REFERENCE_KEY = `liveness/${SUB}/session-1/reference.jpg`;
  const replacement = { referenceKey: REFERENCE_KEY, replacesFaceId: 'face-old' };
  let old: ReturnType<typeof storeEnrollment>;

  beforeEach(() => {
    old = storeEnrollment(SUB, { state: 'CONFIRMED', faceId: 'face-old' });
    issueKey(SUB, ENROLL_KEY, { status: 'ISSUED', replacement });
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [{ Similarity: 99.1, Face: {} }], UnmatchedFaces: [] });
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({ Attributes: { ...old } });
  });

  test('compares the new photo with the liveness reference image of the sign-in that asked for it', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(rekognitionMock, CompareFacesCommand)).toEqual([
      { SourceImage: { Bytes: JPEG }, TargetImage: { S3Object: { Bucket: BUCKET, Name: REFERENCE_KEY } }, SimilarityThreshold: 90 },
    ]);
  });

  test('makes a matching photo the CONFIRMED enrollment in place of the old face, which leaves with its photo', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED', faceId: NEW_FACE_ID });
    const put = receivedInputs(dynamoMock, PutCommand).find((input) => (input.Item as { sk: string }).sk === 'ACTIVE_ENROLLMENT');
    expect(put).toMatchObject({
      Item: { key: ENROLL_KEY, faceId: NEW_FACE_ID, state: 'CONFIRMED' },
      ConditionExpression: '#state = :confirmed AND faceId = :replaced',
      ExpressionAttributeValues: { ':confirmed': 'CONFIRMED', ':replaced': 'face-old' },
    });
    expect(deletedFaces()).toEqual([{ CollectionId: COLLECTION, FaceIds: ['face-old'] }]);
    expect(deletedObjects()).toEqual(expect.arrayContaining([old.photoKey, ENROLL_KEY]));
    expect(metrics).toEqual([{ name: 'EnrollmentAccepted' }, { name: 'EnrollmentReplaced' }]);
  });

  test('rejects a photo whose face is not the live face as NO_MATCH, counts it toward lockout, and keeps the enrollment', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [], UnmatchedFaces: [{ Confidence: 99.9 }] });
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason: 'NO_MATCH' });
    expect(activeEnrollment()).toBeUndefined();
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
    expect(failuresRecorded()).toBe(1);
  });

  test("compares the photo with the live face before any duplicate search, so a stranger's face is never searched", async () => {
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [], UnmatchedFaces: [{ Confidence: 99.9 }] });
    rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [faceMatch(OTHER_SUB, 'face-other')] });
    storeEnrollment(OTHER_SUB, { state: 'CONFIRMED', faceId: 'face-other' });
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason: 'NO_MATCH' });
    expect(rekognitionMock.commandCalls(SearchFacesByImageCommand)).toHaveLength(0);
  });

  test('refuses a photo unchecked as LOCKED_OUT while the user is locked, recording no failure, so no lock is extended', async () => {
    storeItem(`USER#${SUB}`, 'LOCKOUT', { lockedUntil: nowSeconds() + 600 });
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason: 'LOCKED_OUT' });
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(failuresRecorded()).toBe(0);
    expect(putItems('LOCKOUT')).toEqual([]);
  });

  test('refuses a photo unchecked as LOCKED_OUT when failures and checks in progress fill the lockout window', async () => {
    // The count with checks in progress (no filter) is over the limit of 5; the failures alone are not.
    dynamoMock.on(QueryCommand).callsFake((input: Record<string, unknown>) => ({ Count: input.FilterExpression ? 3 : 6 }));
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason: 'LOCKED_OUT' });
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(failuresRecorded()).toBe(0);
  });

  test('holds a place in the lockout window while it compares, and releases it only after the failure is recorded', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [], UnmatchedFaces: [{ Confidence: 99.9 }] });
    await handler(s3Event('enrollment-upload'));
    const [place] = checkPlacesHeld();
    expect(place).toMatchObject({ pk: `USER#${SUB}`, expiresAt: nowSeconds() + 180 });
    const inputs = awsCallInputs() as { Item?: { sk?: string; checking?: boolean }; Key?: { sk?: string }; SourceImage?: unknown }[];
    const held = inputs.findIndex((input) => input.Item?.sk === place!.sk);
    const compared = inputs.findIndex((input) => input.SourceImage);
    const failed = inputs.findIndex((input) => input.Item?.sk?.startsWith('FAILURE#') && !input.Item.checking);
    const released = inputs.findIndex((input) => input.Key?.sk === place!.sk);
    expect([held, compared, failed, released].every((index) => index >= 0)).toBe(true);
    expect(held).toBeLessThan(compared);
    expect(compared).toBeLessThan(failed);
    expect(failed).toBeLessThan(released);
  });

  test('rejects a replacement for an enrollment that changed since the upload was issued, before looking at the photo', async () => {
    storeEnrollment(SUB, { state: 'CONFIRMED', faceId: 'face-other' });
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason: 'ENROLLMENT_CHANGED' });
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(failuresRecorded()).toBe(0);
  });

  test('revokes an accepted replacement that lost the race to another change, and removes its face and photo', async () => {
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).rejects(conditionalCheckFailed());
    await handler(s3Event('enrollment-upload'));
    const revoke = receivedInputs(dynamoMock, UpdateCommand).at(-1);
    expect(revoke?.ExpressionAttributeValues).toMatchObject({ ':status': 'REJECTED', ':reason': 'ENROLLMENT_CHANGED' });
    expect(deletedFaces()).toEqual([{ CollectionId: COLLECTION, FaceIds: [NEW_FACE_ID] }]);
    expect(deletedObjects()).toContain(pinnedCopies()[0]?.Key);
  });
});

describe('index face: the document check (DocumentCheck=REQUIRE)', () => {
  const textractMock = mockClient(TextractClient);
  const requireDocument = makeHandler(testParts({ env: { DOCUMENT_CHECK: 'REQUIRE' } }));
  afterAll(() => textractMock.restore());
  beforeEach(() => textractMock.reset());

  test('rejects a photo in which AnalyzeID finds no document type and no MRZ as NOT_A_DOCUMENT, before any face search', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ FIRST_NAME: ['ANNA'] }));
    await requireDocument(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason: 'NOT_A_DOCUMENT' });
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(activeEnrollment()).toBeUndefined();
  });

  test('rejects an identity document whose expiry date has passed as EXPIRED_DOCUMENT', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ ID_TYPE: ['PASSPORT'], EXPIRATION_DATE: ['01/01/2020', '2020-01-01'] }));
    await requireDocument(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason: 'EXPIRED_DOCUMENT' });
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test("accepts an unexpired passport and keeps only its type, country and expiry, never the holder's name or number", async () => {
    textractMock.on(AnalyzeIDCommand).resolves(PASSPORT);
    await requireDocument(s3Event('enrollment-upload'));
    const decision = writtenDecision();
    expect(decision).toMatchObject({
      status: 'ACCEPTED',
      document: { documentType: 'PASSPORT', issuingCountry: 'NLD', expiresOn: '2031-04-15' },
    });
    expect(JSON.stringify(decision)).not.toMatch(/ERIKSSON|ANNA|L898902C3|1974/);
  });

  test('reads the bytes it checks, not the object S3 holds at the uploadable key', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(PASSPORT);
    await requireDocument(s3Event('enrollment-upload'));
    expect(receivedInputs(textractMock, AnalyzeIDCommand)).toEqual([{ DocumentPages: [{ Bytes: JPEG }] }]);
  });
});

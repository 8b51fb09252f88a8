import './support/env';
import {
  DeleteFacesCommand,
  IndexFacesCommand,
  SearchFacesByImageCommand,
  type IndexFacesCommandOutput,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { S3Event } from 'aws-lambda';
import { handler } from '../../functions/index-face/handler';
import { decodeS3EventKey } from '../../functions/lib/enrollment-key';
import { hasImageSignature } from '../../functions/lib/enrollment';
import {
  awsCallNames,
  conditionalCheckFailed,
  dynamoMock,
  objectBody,
  receivedInputs,
  rekognitionMock,
  resetAwsMocks,
  s3Mock,
  serviceError,
} from './support/aws-mocks';
import { BUCKET, COLLECTION } from './support/env';
import { ENROLL_KEY, OTHER_SUB, s3Event, SUB } from './support/events';

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
const UPLOADED_AT = new Date('2026-11-21T15:30:12.000Z');

function photo(bytes: Uint8Array, contentType = 'image/jpeg', contentLength = bytes.length): void {
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: contentLength, ContentType: contentType, LastModified: UPLOADED_AT });
  s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(bytes), LastModified: UPLOADED_AT });
}

function indexed(output: Partial<IndexFacesCommandOutput>): void {
  rekognitionMock.on(IndexFacesCommand).resolves({ FaceRecords: [], UnindexedFaces: [], ...output });
}

/** The enrolment decision the handler wrote, if any. */
function writtenDecision(): Record<string, unknown> | undefined {
  return receivedInputs(dynamoMock, PutCommand)
    .map((input) => input.Item as Record<string, unknown>)
    .find((item) => String(item.sk).startsWith('ENROLLMENT#'));
}

function eventForKey(encodedKey: string): S3Event {
  const event = s3Event('enrollment-upload');
  event.Records[0]!.s3.object.key = encodedKey;
  return event;
}

beforeEach(() => {
  resetAwsMocks();
  dynamoMock.on(GetCommand).resolves({});
  dynamoMock.on(PutCommand).resolves({});
  photo(JPEG);
  rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [] });
  rekognitionMock.on(DeleteFacesCommand).resolves({ DeletedFaces: [] });
  indexed({ FaceRecords: [{ Face: { FaceId: 'face-new' } }] });
});

describe('index face: accepted photos', () => {
  test('accepts an ID photo with one good face and records its face id', async () => {
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ pk: `USER#${SUB}`, sk: `ENROLLMENT#${ENROLL_KEY}`, status: 'ACCEPTED', faceId: 'face-new' });
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
    expect(receivedInputs(rekognitionMock, SearchFacesByImageCommand)[0]).toMatchObject({ CollectionId: COLLECTION, FaceMatchThreshold: 90 });
    const [search] = rekognitionMock.calls().map((call) => call.args[0].constructor.name);
    expect(search).toBe('SearchFacesByImageCommand');
  });

  test('makes the accepted photo the active enrolment', async () => {
    await handler(s3Event('enrollment-upload'));
    const active = receivedInputs(dynamoMock, PutCommand).find((input) => (input.Item as { sk: string }).sk === 'ACTIVE_ENROLLMENT');
    expect(active?.Item).toMatchObject({ key: ENROLL_KEY, faceId: 'face-new', uploadedAt: UPLOADED_AT.toISOString() });
  });

  test('writes the decision only if no decision exists for the key', async () => {
    await handler(s3Event('enrollment-upload'));
    const decision = receivedInputs(dynamoMock, PutCommand).find((input) => String((input.Item as { sk: string }).sk).startsWith('ENROLLMENT#'));
    expect(decision?.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  test('accepts a PNG whose bytes are a PNG', async () => {
    photo(PNG, 'image/png');
    await handler(eventForKey(ENROLL_KEY.replace('.jpg', '.png')));
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED' });
  });

  test('accepts a face that matches only this same user', async () => {
    rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [{ Similarity: 99, Face: { ExternalImageId: SUB, FaceId: 'face-old' } }] });
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'ACCEPTED' });
  });
});

describe('index face: rejected photos', () => {
  const rejectedWith = async (reason: string) => {
    await handler(s3Event('enrollment-upload'));
    expect(writtenDecision()).toMatchObject({ status: 'REJECTED', reason });
    expect(writtenDecision()?.faceId).toBeUndefined();
  };

  test('rejects an ID photo of 0 bytes', async () => {
    photo(new Uint8Array(), 'image/jpeg', 0);
    await rejectedWith('EMPTY');
  });

  test('rejects an ID photo of 30 MB without reading it', async () => {
    photo(JPEG, 'image/jpeg', 30 * 1024 * 1024);
    await rejectedWith('TOO_LARGE');
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  test('rejects an object stored with a type other than the key names', async () => {
    photo(JPEG, 'image/png');
    await rejectedWith('WRONG_TYPE');
  });

  test('rejects an object whose bytes are not an image', async () => {
    photo(new TextEncoder().encode('%PDF-1.7 not a photo'));
    await rejectedWith('NOT_AN_IMAGE');
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('rejects an image Rekognition cannot decode', async () => {
    rekognitionMock.on(SearchFacesByImageCommand).rejects(serviceError('InvalidImageFormatException'));
    await rejectedWith('NOT_AN_IMAGE');
  });

  test('rejects an image Rekognition finds too large', async () => {
    rekognitionMock.on(IndexFacesCommand).rejects(serviceError('ImageTooLargeException'));
    await rejectedWith('TOO_LARGE');
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
    expect(receivedInputs(rekognitionMock, DeleteFacesCommand)).toContainEqual({ CollectionId: COLLECTION, FaceIds: ['face-largest'] });
  });

  test("rejects a face already enrolled by another account, without indexing it", async () => {
    rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [{ Similarity: 97, Face: { ExternalImageId: OTHER_SUB, FaceId: 'f-other' } }] });
    await rejectedWith('DUPLICATE_FACE');
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
  });

  test('does not activate a rejected photo', async () => {
    indexed({});
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(dynamoMock, PutCommand).some((input) => (input.Item as { sk: string }).sk === 'ACTIVE_ENROLLMENT')).toBe(false);
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

  test('ignores a key that decodes to a name we never issue', async () => {
    await handler(s3Event('encoded-key'));
    expect(awsCallNames()).toEqual([]);
  });

  test('ignores an S3 event for a key outside enrollment/', async () => {
    await handler(s3Event('outside-enrollment'));
    expect(awsCallNames()).toEqual([]);
  });

  test('ignores a key with broken percent-encoding', async () => {
    await handler(eventForKey(`enrollment/${SUB}/%E0%A4%A.jpg`));
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

  test('ignores an object deleted before it could be read', async () => {
    s3Mock.on(HeadObjectCommand).rejects(serviceError('NotFound'));
    await expect(handler(s3Event('enrollment-upload'))).resolves.toBeUndefined();
    expect(writtenDecision()).toBeUndefined();
  });

  test('processes every record of an event', async () => {
    const event = s3Event('enrollment-upload');
    const second = structuredClone(event.Records[0]!);
    second.s3.object.key = ENROLL_KEY.replace('3b9c1e52', '4c0d2f63');
    event.Records.push(second);
    await handler(event);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(2);
  });

  test('recognises image signatures only at the start of the bytes', () => {
    expect(hasImageSignature(JPEG, 'image/jpeg')).toBe(true);
    expect(hasImageSignature(PNG, 'image/jpeg')).toBe(false);
    expect(hasImageSignature(Uint8Array.from([0xff, 0xd8]), 'image/jpeg')).toBe(false);
  });
});

describe('index face: redelivery, races and re-enrolment', () => {
  test('changes nothing when the key already has a rejection on record', async () => {
    dynamoMock.on(GetCommand).resolves({ Item: { key: ENROLL_KEY, status: 'REJECTED', reason: 'NO_FACE', uploadedAt: UPLOADED_AT.toISOString() } });
    await handler(s3Event('enrollment-upload'));
    expect(awsCallNames()).toEqual(['DynamoDB.GetCommand']);
  });

  test('only re-confirms the activation when the key was already accepted', async () => {
    dynamoMock.on(GetCommand).resolves({ Item: { key: ENROLL_KEY, status: 'ACCEPTED', faceId: 'face-new', uploadedAt: UPLOADED_AT.toISOString() } });
    dynamoMock.on(PutCommand).resolves({ Attributes: { key: ENROLL_KEY, faceId: 'face-new' } });
    await handler(s3Event('enrollment-upload'));
    expect(awsCallNames()).toEqual(['DynamoDB.GetCommand', 'DynamoDB.PutCommand']);
  });

  test('removes its own face when a concurrent run decided first', async () => {
    dynamoMock.on(PutCommand, { Item: { sk: `ENROLLMENT#${ENROLL_KEY}` } }).rejects(conditionalCheckFailed());
    dynamoMock
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: { key: ENROLL_KEY, status: 'ACCEPTED', faceId: 'face-winner', uploadedAt: UPLOADED_AT.toISOString() } });
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(rekognitionMock, DeleteFacesCommand)).toContainEqual({ CollectionId: COLLECTION, FaceIds: ['face-new'] });
  });

  test('replaces the previous face on re-enrolment and deletes it from the collection', async () => {
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({ Attributes: { key: 'enrollment/old.jpg', faceId: 'face-old' } });
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(rekognitionMock, DeleteFacesCommand)).toEqual([{ CollectionId: COLLECTION, FaceIds: ['face-old'] }]);
  });

  test('activates only if no newer upload is active', async () => {
    await handler(s3Event('enrollment-upload'));
    const active = receivedInputs(dynamoMock, PutCommand).find((input) => (input.Item as { sk: string }).sk === 'ACTIVE_ENROLLMENT');
    expect(active?.ConditionExpression).toBe('attribute_not_exists(pk) OR uploadedAt < :uploadedAt OR #key = :key');
  });

  test('removes the face of a photo superseded by a newer active upload', async () => {
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).rejects(conditionalCheckFailed());
    await handler(s3Event('enrollment-upload'));
    expect(receivedInputs(rekognitionMock, DeleteFacesCommand)).toEqual([{ CollectionId: COLLECTION, FaceIds: ['face-new'] }]);
  });

  test('throws on throttling so S3 redelivers the event', async () => {
    rekognitionMock.on(IndexFacesCommand).rejects(serviceError('ThrottlingException'));
    await expect(handler(s3Event('enrollment-upload'))).rejects.toThrow('ThrottlingException');
    expect(writtenDecision()).toBeUndefined();
  });

  test('throws on a timeout so S3 redelivers the event', async () => {
    s3Mock.on(GetObjectCommand).rejects(serviceError('TimeoutError'));
    await expect(handler(s3Event('enrollment-upload'))).rejects.toThrow('TimeoutError');
  });
});

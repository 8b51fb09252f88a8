import { DeleteFacesCommand } from '@aws-sdk/client-rekognition';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { makeHandler } from '../../functions/expire-enrollments/handler';
import { conditionalCheckFailed, dynamoMock, receivedInputs, rekognitionMock, resetAwsMocks, s3Mock } from './support/aws-mocks';
import { OTHER_SUB, SUB } from './support/events';
import { BUCKET, COLLECTION, testParts } from './support/parts';

const handler = makeHandler(testParts());

const expired = (sub: string, faceId: string) => ({
  pk: `USER#${sub}`,
  sk: 'ACTIVE_ENROLLMENT',
  key: `enrollment/${sub}/0e4a7c19-5b2d-4f36-8a91-c7d3e5f60b28.jpg`,
  photoKey: `id-photos/${sub}/${faceId}.jpg`,
  faceId,
  state: 'PROVISIONAL',
  provisionalUntil: 1,
});

const sweep = () => handler({} as never);

beforeEach(() => {
  resetAwsMocks();
  dynamoMock.on(DeleteCommand).resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
  rekognitionMock.on(DeleteFacesCommand).resolves({});
  s3Mock.on(DeleteObjectCommand).resolves({});
});

describe('expire enrollments (the hourly sweep)', () => {
  test('looks only for provisional enrollments whose time ran out', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [] });
    await sweep();
    expect(receivedInputs(dynamoMock, ScanCommand)[0]).toMatchObject({
      FilterExpression: 'sk = :active AND #state = :provisional AND provisionalUntil <= :now',
      ExpressionAttributeValues: { ':active': 'ACTIVE_ENROLLMENT', ':provisional': 'PROVISIONAL', ':now': expect.any(Number) },
    });
  });

  test('removes an expired provisional enrollment with its face and pinned photo, and revokes its upload', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [expired(SUB, 'face-1')] });
    expect(await sweep()).toEqual({ removed: 1 });
    expect(receivedInputs(dynamoMock, DeleteCommand)[0]).toMatchObject({
      Key: { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' },
      ExpressionAttributeValues: { ':state': 'PROVISIONAL', ':faceId': 'face-1' },
    });
    expect(receivedInputs(dynamoMock, UpdateCommand)[0]).toMatchObject({
      Key: { pk: `USER#${SUB}`, sk: `ENROLLMENT#enrollment/${SUB}/0e4a7c19-5b2d-4f36-8a91-c7d3e5f60b28.jpg` },
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'REJECTED', ':reason': 'EXPIRED_UNCONFIRMED' }),
    });
    expect(receivedInputs(rekognitionMock, DeleteFacesCommand)).toEqual([{ CollectionId: COLLECTION, FaceIds: ['face-1'] }]);
    expect(receivedInputs(s3Mock, DeleteObjectCommand)).toEqual([{ Bucket: BUCKET, Key: `id-photos/${SUB}/face-1.jpg` }]);
  });

  test('keeps everything of a user who confirmed the face meanwhile', async () => {
    dynamoMock.on(ScanCommand).resolves({ Items: [expired(SUB, 'face-1')] });
    dynamoMock.on(DeleteCommand).rejects(conditionalCheckFailed());
    expect(await sweep()).toEqual({ removed: 0 });
    expect(rekognitionMock.commandCalls(DeleteFacesCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(dynamoMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  test('pages through the whole table', async () => {
    dynamoMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [expired(SUB, 'face-1')], LastEvaluatedKey: { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' } })
      .resolvesOnce({ Items: [expired(OTHER_SUB, 'face-2')] });
    expect(await sweep()).toEqual({ removed: 2 });
    expect(receivedInputs(dynamoMock, ScanCommand)[1]).toMatchObject({ ExclusiveStartKey: { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' } });
  });

  test('fails with the fixed text when the table cannot be read, so the schedule tries again', async () => {
    dynamoMock.on(ScanCommand).rejects(new Error('internal detail'));
    await expect(sweep()).rejects.toThrow(/^Request failed\.$/);
  });
});

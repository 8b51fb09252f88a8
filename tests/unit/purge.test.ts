import { DeleteFacesCommand, ListFacesCommand } from '@aws-sdk/client-rekognition';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { purgeUserData } from '../../functions/lib/purge';
import { dynamoMock, rekognitionMock, s3Mock } from './support/aws-mocks';
import { TABLE } from './support/parts';
import { deletedFaceIds, resetEmptyTargets, targets } from './support/purge-targets';

const SUB = '6f1e3b52-8c4d-4e7a-9b10-2d3c4e5f6a7b';
const OTHER_SUB = '0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d';

const item = (sk: string, extra: Record<string, unknown> = {}) => ({ pk: `USER#${SUB}`, sk, ...extra });
const deletedKeys = () =>
  dynamoMock
    .commandCalls(BatchWriteCommand)
    .flatMap((call) => call.args[0].input.RequestItems?.[TABLE] ?? [])
    .map((request) => request.DeleteRequest?.Key);
const listedPrefixes = () => s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix);

beforeEach(resetEmptyTargets);

describe('purging one user', () => {
  test('deletes the faces the records name and the faces the collection holds for the sub, each once', async () => {
    dynamoMock
      .on(QueryCommand)
      .resolves({ Items: [item('ACTIVE_ENROLLMENT', { faceId: 'face-a' }), item('ENROLLMENT#k', { faceId: 'face-a' })] });
    rekognitionMock.on(ListFacesCommand).resolves({
      Faces: [
        { FaceId: 'face-a', ExternalImageId: SUB },
        { FaceId: 'face-b', ExternalImageId: SUB },
        { FaceId: 'face-c', ExternalImageId: OTHER_SUB },
      ],
    });
    const counts = await purgeUserData(targets, SUB);
    expect(deletedFaceIds().sort()).toEqual(['face-a', 'face-b']);
    expect(counts.faces).toBe(2);
  });

  test("pages through the whole collection and never deletes another user's face", async () => {
    rekognitionMock
      .on(ListFacesCommand)
      .resolvesOnce({ Faces: [{ FaceId: 'face-c', ExternalImageId: OTHER_SUB }], NextToken: 'page-2' })
      .resolves({ Faces: [{ FaceId: 'face-b', ExternalImageId: SUB }] });
    await purgeUserData(targets, SUB);
    expect(rekognitionMock.commandCalls(ListFacesCommand)[1]?.args[0].input.NextToken).toBe('page-2');
    expect(deletedFaceIds()).toEqual(['face-b']);
  });

  test('uses the faces the caller found by owner instead of searching the collection again', async () => {
    await purgeUserData(targets, SUB, ['face-b']);
    expect(rekognitionMock.commandCalls(ListFacesCommand)).toHaveLength(0);
    expect(deletedFaceIds()).toEqual(['face-b']);
  });

  test("deletes every object under the user's upload, pinned photo and liveness prefixes, page by page", async () => {
    s3Mock
      .on(ListObjectsV2Command, { Prefix: `liveness/${SUB}/` })
      .resolvesOnce({ Contents: [{ Key: `liveness/${SUB}/s1/reference.jpg` }], NextContinuationToken: 'next' })
      .resolves({ Contents: [{ Key: `liveness/${SUB}/s1/audit-1.jpg` }] });
    s3Mock.on(ListObjectsV2Command, { Prefix: `id-photos/${SUB}/` }).resolves({ Contents: [{ Key: `id-photos/${SUB}/p.jpg` }] });
    const counts = await purgeUserData(targets, SUB);
    expect(listedPrefixes()).toEqual([`enrollment/${SUB}/`, `id-photos/${SUB}/`, `liveness/${SUB}/`, `liveness/${SUB}/`]);
    expect(counts.objects).toBe(3);
  });

  test('fails, to be run again, when S3 could not delete an object', async () => {
    s3Mock.on(ListObjectsV2Command, { Prefix: `enrollment/${SUB}/` }).resolves({ Contents: [{ Key: `enrollment/${SUB}/u.jpg` }] });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: `enrollment/${SUB}/u.jpg`, Code: 'InternalError' }] });
    await expect(purgeUserData(targets, SUB)).rejects.toThrow('could not be deleted');
  });

  test('deletes every item under the user, in batches of 25, read again after the faces and objects went', async () => {
    const items = Array.from({ length: 30 }, (_, index) => item(`FAILURE#${index}`));
    dynamoMock.on(QueryCommand).resolvesOnce({ Items: [] }).resolves({ Items: items });
    const counts = await purgeUserData(targets, SUB);
    expect(dynamoMock.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.length)).toEqual([25, 5]);
    expect(deletedKeys()).toEqual(items.map(({ pk, sk }) => ({ pk, sk })));
    expect(counts.items).toBe(30);
    expect(dynamoMock.commandCalls(QueryCommand).every((call) => call.args[0].input.ConsistentRead === true)).toBe(true);
  });

  test('retries the items DynamoDB left unprocessed', async () => {
    dynamoMock.on(QueryCommand).resolves({ Items: [item('LOCKOUT'), item('ACTIVE_ENROLLMENT')] });
    dynamoMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [{ DeleteRequest: { Key: { pk: `USER#${SUB}`, sk: 'LOCKOUT' } } }] } })
      .resolves({});
    await purgeUserData(targets, SUB);
    expect(deletedKeys()).toEqual([
      { pk: `USER#${SUB}`, sk: 'LOCKOUT' },
      { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' },
      { pk: `USER#${SUB}`, sk: 'LOCKOUT' },
    ]);
  });

  test('deletes faces, then objects, then items, so a purge that failed halfway still finds what is left', async () => {
    dynamoMock.on(QueryCommand).resolves({ Items: [item('ACTIVE_ENROLLMENT', { faceId: 'face-a' })] });
    s3Mock.on(ListObjectsV2Command, { Prefix: `id-photos/${SUB}/` }).resolves({ Contents: [{ Key: `id-photos/${SUB}/p.jpg` }] });
    const order: string[] = [];
    rekognitionMock.on(DeleteFacesCommand).callsFake(() => order.push('faces') && {});
    s3Mock.on(DeleteObjectsCommand).callsFake(() => order.push('objects') && {});
    dynamoMock.on(BatchWriteCommand).callsFake(() => order.push('items') && {});
    await purgeUserData(targets, SUB);
    expect(order).toEqual(['faces', 'objects', 'items']);
  });
});

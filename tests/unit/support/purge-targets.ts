/** What the purge, the sweep and account deletion work on: the mocked clients (aws-mocks.ts) and the test names. */
import { DeleteFacesCommand, ListFacesCommand } from '@aws-sdk/client-rekognition';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { BatchWriteCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountTargets } from '../../../functions/lib/account-deletion';
import { dynamoMock, rekognitionMock, resetAwsMocks, s3Mock } from './aws-mocks';
import { BUCKET, COLLECTION, TABLE, testClients, USER_POOL_ID } from './parts';

export const targets: AccountTargets = {
  ...testClients(),
  tableName: TABLE,
  bucketName: BUCKET,
  collectionId: COLLECTION,
  userPoolId: USER_POOL_ID,
};

/** An empty collection, bucket and table that accept every delete. */
export function resetEmptyTargets(): void {
  resetAwsMocks();
  rekognitionMock.on(ListFacesCommand).resolves({ Faces: [] });
  rekognitionMock.on(DeleteFacesCommand).callsFake(({ FaceIds }) => ({ DeletedFaces: FaceIds }));
  s3Mock.on(ListObjectsV2Command).resolves({});
  s3Mock.on(DeleteObjectsCommand).resolves({});
  dynamoMock.on(ScanCommand).resolves({ Items: [] });
  dynamoMock.on(QueryCommand).resolves({ Items: [] });
  dynamoMock.on(BatchWriteCommand).resolves({});
}

export const deletedFaceIds = (): string[] =>
  rekognitionMock.commandCalls(DeleteFacesCommand).flatMap((call) => call.args[0].input.FaceIds ?? []);

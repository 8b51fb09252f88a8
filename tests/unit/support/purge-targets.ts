/** Clients for the purge, sweep and account-deletion tests, each mocked (aws-sdk-client-mock), with fixed names. */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteFacesCommand, ListFacesCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { AccountTargets } from '../../../functions/lib/account-deletion';

export const TABLE = 'face-login-table';
export const POOL = 'us-east-1_Example';

export const rekognitionMock = mockClient(RekognitionClient);
export const s3Mock = mockClient(S3Client);
export const dynamoMock = mockClient(DynamoDBDocumentClient);
export const cognitoMock = mockClient(CognitoIdentityProviderClient);

export const targets: AccountTargets = {
  rekognition: new RekognitionClient({ region: 'us-east-1' }),
  s3: new S3Client({ region: 'us-east-1' }),
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  cognito: new CognitoIdentityProviderClient({ region: 'us-east-1' }),
  tableName: TABLE,
  bucketName: 'face-login-photos',
  collectionId: 'face-login-faces',
  userPoolId: POOL,
};

/** An empty collection, bucket and table that accept every delete. */
export function resetEmptyTargets(): void {
  for (const mock of [rekognitionMock, s3Mock, dynamoMock, cognitoMock]) mock.reset();
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

import './support/env';
import { IndexFacesCommand, SearchFacesByImageCommand } from '@aws-sdk/client-rekognition';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoMock, objectBody, receivedInputs, rekognitionMock, resetAwsMocks, s3Mock } from './support/aws-mocks';
import { s3Event } from './support/events';

const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]);

/** Loaded after the policy is set: configuration is read once, when the handler module loads. */
async function loadHandler() {
  process.env.DUPLICATE_FACE_POLICY = 'ALLOW';
  return (await import('../../functions/index-face/handler')).handler;
}

test('with DUPLICATE_FACE_POLICY=ALLOW, enrols a face without searching other accounts', async () => {
  const handler = await loadHandler();
  resetAwsMocks();
  dynamoMock.on(GetCommand).resolves({});
  dynamoMock.on(PutCommand).resolves({});
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: JPEG.length, ContentType: 'image/jpeg' });
  s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(JPEG) });
  rekognitionMock.on(IndexFacesCommand).resolves({ FaceRecords: [{ Face: { FaceId: 'face-shared' } }] });
  await handler(s3Event('enrollment-upload'));
  expect(rekognitionMock.commandCalls(SearchFacesByImageCommand)).toHaveLength(0);
  const decision = receivedInputs(dynamoMock, PutCommand).map((input) => input.Item as Record<string, unknown>)[0];
  expect(decision).toMatchObject({ status: 'ACCEPTED', faceId: 'face-shared' });
});

import './support/env';
import { IndexFacesCommand, SearchFacesByImageCommand, SearchFacesCommand } from '@aws-sdk/client-rekognition';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { arrangeEmptyTable, dynamoMock, receivedInputs, rekognitionMock, resetAwsMocks } from './support/aws-mocks';
import { ENROLL_KEY, s3Event, SUB } from './support/events';
import { arrangeCollection, issueKey, storePhoto } from './support/photos';

/** Loaded after the policy is set: configuration is read once, when the handler module loads. */
async function loadHandler() {
  process.env.DUPLICATE_FACE_POLICY = 'ALLOW';
  return (await import('../../functions/index-face/handler')).handler;
}

test('with DUPLICATE_FACE_POLICY=ALLOW, enrolls a face without searching other accounts', async () => {
  const handler = await loadHandler();
  resetAwsMocks();
  arrangeEmptyTable();
  arrangeCollection();
  storePhoto();
  issueKey(SUB, ENROLL_KEY);
  await handler(s3Event('enrollment-upload'));
  expect(rekognitionMock.commandCalls(SearchFacesByImageCommand)).toHaveLength(0);
  expect(rekognitionMock.commandCalls(SearchFacesCommand)).toHaveLength(0);
  expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(1);
  expect(receivedInputs(dynamoMock, UpdateCommand)[0]?.ExpressionAttributeValues).toMatchObject({ ':status': 'ACCEPTED' });
});

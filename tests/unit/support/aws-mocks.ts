/**
 * The AWS clients the functions use, mocked (aws-sdk-client-mock), reset before every test. Calls are asserted
 * through `commandCalls`: the aws-sdk-client-mock-jest matchers do not load under jest 29's ESM resolver.
 */
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

export const rekognitionMock = mockClient(RekognitionClient);
export const s3Mock = mockClient(S3Client);
export const dynamoMock = mockClient(DynamoDBDocumentClient);

export function resetAwsMocks(): void {
  rekognitionMock.reset();
  s3Mock.reset();
  dynamoMock.reset();
}

export function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** An SDK service error as the client raises it: what matters to the functions is its name. */
export function serviceError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: {}, $fault: 'client' });
}

/** Every call made to the mocked clients, as `Service.Command` names, to assert that none happened. */
export function awsCallNames(): string[] {
  return [
    ...rekognitionMock.calls().map((call) => `Rekognition.${call.args[0].constructor.name}`),
    ...s3Mock.calls().map((call) => `S3.${call.args[0].constructor.name}`),
    ...dynamoMock.calls().map((call) => `DynamoDB.${call.args[0].constructor.name}`),
  ];
}

/** A GetObject body: the functions only read it whole with transformToByteArray. */
export function objectBody(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any client's stub
type AnyStub = AwsStub<any, any, any>;

/** The inputs of every call of one command, in order. */
export function receivedInputs(mock: AnyStub, command: abstract new (...args: never[]) => unknown): Record<string, unknown>[] {
  return mock.commandCalls(command as never).map((call) => (call.args[0] as { input: Record<string, unknown> }).input);
}

/**
 * The AWS clients the functions use, mocked (aws-sdk-client-mock), reset before every test. Calls are asserted
 * through `commandCalls`, which read as plain data in every assertion.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { PSEUDONYM_SECRET } from './events';
import { NOW_MS } from './parts';

export const rekognitionMock = mockClient(RekognitionClient);
export const s3Mock = mockClient(S3Client);
export const sesMock = mockClient(SESv2Client);
export const dynamoMock = mockClient(DynamoDBDocumentClient);
export const cognitoMock = mockClient(CognitoIdentityProviderClient);

const MOCKS = { Rekognition: rekognitionMock, S3: s3Mock, SESv2: sesMock, DynamoDB: dynamoMock, Cognito: cognitoMock } as const;

export function resetAwsMocks(): void {
  for (const mock of Object.values(MOCKS)) mock.reset();
}

/** Forgets the calls made so far but keeps every mocked answer. */
export function forgetAwsCalls(): void {
  for (const mock of Object.values(MOCKS)) mock.resetHistory();
}

/**
 * A table that holds only the pseudonym key (so unknown users get their pseudo-identity) and accepts every
 * write; tests add the items their case needs.
 */
export function arrangeEmptyTable(): void {
  dynamoMock.on(GetCommand).resolves({});
  dynamoMock
    .on(GetCommand, { Key: { pk: 'SYSTEM', sk: 'PSEUDONYM_KEY' } })
    .resolves({ Item: { pk: 'SYSTEM', sk: 'PSEUDONYM_KEY', secret: PSEUDONYM_SECRET } });
  dynamoMock.on(PutCommand).resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(DeleteCommand).resolves({});
  dynamoMock.on(QueryCommand).resolves({ Count: 1 });
}

/** Makes the table answer a consistent read of one item. */
export function storeItem(pk: string, sk: string, item: Record<string, unknown>): void {
  dynamoMock.on(GetCommand, { Key: { pk, sk } }).resolves({ Item: { pk, sk, ...item } });
}

export function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** An SDK service error as the client raises it: what matters to the functions is its name (and HTTP status). */
export function serviceError(name: string, message = name, httpStatusCode?: number): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode }, $fault: 'client' });
}

interface RecordedCall {
  callId: number;
  args: unknown[];
}

function recordedCalls(): { name: string; call: RecordedCall }[] {
  return Object.entries(MOCKS)
    .flatMap(([service, mock]) =>
      (mock.calls() as unknown as RecordedCall[]).map((call) => ({
        name: `${service}.${(call.args[0] as object).constructor.name}`,
        call,
      })),
    )
    .sort((a, b) => a.call.callId - b.call.callId);
}

/** Every call made to the mocked clients, as `Service.Command` names in the order they were made. */
export function awsCallNames(): string[] {
  return recordedCalls().map(({ name }) => name);
}

/** Every call's input, in the order the calls were made (across the mocked clients). */
export function awsCallInputs(): Record<string, unknown>[] {
  return recordedCalls().map(({ call }) => (call.args[0] as { input: Record<string, unknown> }).input);
}

/** The calls that change state anywhere (DynamoDB writes, S3 writes and deletes, Rekognition index/delete). */
export function writeCallNames(): string[] {
  return awsCallNames().filter((name) => /\.(Put|Update|Delete|BatchWrite|IndexFaces|DeleteFaces|PutObject|DeleteObject)/.test(name));
}

/** The abort signal each call was sent with (undefined when none was given). */
export function abortSignals(): (AbortSignal | undefined)[] {
  return recordedCalls().map(({ call }) => (call.args[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal);
}

/** A GetObject body: the functions only read it whole with transformToByteArray. */
export function objectBody(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'];
}

// biome-ignore lint/suspicious/noExplicitAny: any client's stub
type AnyStub = AwsStub<any, any, any>;

/** The inputs of every call of one command, in order. */
export function receivedInputs(mock: AnyStub, command: abstract new (...args: never[]) => unknown): Record<string, unknown>[] {
  return mock.commandCalls(command as never).map((call) => (call.args[0] as { input: Record<string, unknown> }).input);
}

/** The DynamoDB items written with PutCommand whose sort key starts with `skPrefix`. */
export function putItems(skPrefix: string): Record<string, unknown>[] {
  return receivedInputs(dynamoMock, PutCommand)
    .map((input) => input.Item as Record<string, unknown>)
    .filter((item) => String(item.sk).startsWith(skPrefix));
}

/** Failed checks recorded toward lockout (not the places checks hold while they run). */
export const recordedFailures = (): Record<string, unknown>[] => putItems('FAILURE#').filter((item) => !item.checking);

export const failuresRecorded = (): number => recordedFailures().length;

/** The places in the lockout window that checks held while they ran. */
export const checkPlacesHeld = (): Record<string, unknown>[] => putItems('FAILURE#').filter((item) => item.checking === true);

/** The keys deleted with DeleteCommand, less the check places released (see checkPlacesHeld). */
export function deletedItems(): Record<string, unknown>[] {
  return receivedInputs(dynamoMock, DeleteCommand).filter((input) => !String((input.Key as { sk: string }).sk).startsWith('FAILURE#'));
}

/** What the table holds as a user's enrollment: the pinned photo and face sign-ins compare against. */
export interface StoredEnrollment {
  state: 'PROVISIONAL' | 'CONFIRMED';
  faceId?: string;
  key?: string;
  photoKey?: string;
  /** Epoch seconds; only PROVISIONAL enrollments have it. */
  provisionalUntil?: number;
}

/** The fake clock's time in epoch seconds, as the table stores times. */
export const nowSeconds = (): number => Math.floor(NOW_MS / 1000);

/** Gives `sub` an enrollment; a PROVISIONAL one stays current for another hour unless `provisionalUntil` says otherwise. */
export function storeEnrollment(
  sub: string,
  enrollment: StoredEnrollment,
): Required<Omit<StoredEnrollment, 'provisionalUntil'>> & StoredEnrollment {
  const item = {
    key: `enrollment/${sub}/0e4a7c19-5b2d-4f36-8a91-c7d3e5f60b28.jpg`,
    photoKey: `id-photos/${sub}/5c2e8f14-9a3b-4d71-b0e6-2f8d4c1a7e93.jpg`,
    faceId: 'face-1',
    uploadedAt: '2026-11-20T10:00:00.000Z',
    ...(enrollment.state === 'PROVISIONAL' ? { provisionalUntil: nowSeconds() + 3600 } : {}),
    ...enrollment,
  };
  storeItem(`USER#${sub}`, 'ACTIVE_ENROLLMENT', item);
  return item;
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateCollectionCommand,
  DeleteCollectionCommand,
  DescribeCollectionCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-rekognition';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { makeHandler, STACK_TAG } from '../../functions/init-collection/handler';
import { awsCallNames, rekognitionMock, resetAwsMocks, s3Mock, serviceError } from './support/aws-mocks';
import { customResourceEvent } from './support/events';
import { testClients } from './support/parts';

const handler = makeHandler({ clients: testClients() });

interface CloudFormationReply {
  method: string;
  contentType: string | undefined;
  body: {
    Status: string;
    Reason: string;
    PhysicalResourceId: string;
    StackId: string;
    RequestId: string;
    LogicalResourceId: string;
    Data: Record<string, string>;
  };
}

/** A loopback stand-in for CloudFormation's presigned ResponseURL, recording what it was sent. */
let server: Server;
let replies: CloudFormationReply[] = [];
let replyStatus = 200;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      replies.push({
        method: request.method!,
        contentType: request.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      response.writeHead(replyStatus).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  resetAwsMocks();
  replies = [];
  replyStatus = 200;
  rekognitionMock.on(CreateCollectionCommand).resolves({ StatusCode: 200 });
  rekognitionMock.on(DeleteCollectionCommand).resolves({ StatusCode: 200 });
  s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
  s3Mock.on(DeleteObjectsCommand).resolves({});
});

const BUCKET = 'face-login-000000000000-00000000-0000-0000-0000-000000000000';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:000000000000:stack/cognito-face-login/00000000-0000-0000-0000-000000000000';
const COLLECTION_ARN = 'arn:aws:rekognition:us-east-1:000000000000:collection/cognito-face-login-faces';

/** An existing collection as Rekognition describes it, tagged by the stack that created it. */
function existingCollection(faceCount: number, createdBy?: string): void {
  rekognitionMock.on(CreateCollectionCommand).rejects(serviceError('ResourceAlreadyExistsException'));
  rekognitionMock.on(DescribeCollectionCommand).resolves({ FaceCount: faceCount });
  rekognitionMock.on(ListTagsForResourceCommand).resolves({ Tags: createdBy ? { [STACK_TAG]: createdBy } : {} });
}

/** A bucket whose listing comes in the given pages of keys, chained by continuation tokens. */
function bucketPages(...pages: string[][]): void {
  pages.forEach((keys, index) => {
    const next = index < pages.length - 1 ? { NextContinuationToken: `page-${index + 1}` } : {};
    s3Mock
      .on(ListObjectsV2Command, { Bucket: BUCKET, ContinuationToken: index === 0 ? undefined : `page-${index}` })
      .resolves({ Contents: keys.map((Key) => ({ Key })), KeyCount: keys.length, ...next });
  });
}

function context(remainingMs = 60_000): Context {
  return { getRemainingTimeInMillis: () => remainingMs, logStreamName: '2026/11/21/[$LATEST]abc' } as Context;
}

function request(
  name: 'create' | 'update' | 'delete',
  change?: (event: Record<string, unknown>) => void,
): CloudFormationCustomResourceEvent {
  const event = customResourceEvent(name);
  event.ResponseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=abc`;
  change?.(event as unknown as Record<string, unknown>);
  return event;
}

async function reply(event: CloudFormationCustomResourceEvent, remainingMs?: number): Promise<CloudFormationReply['body']> {
  await handler(event, context(remainingMs));
  expect(replies).toHaveLength(1);
  return replies[0]!.body;
}

const properties = (event: Record<string, unknown>) => event.ResourceProperties as Record<string, string>;

describe('init collection', () => {
  test('creates the collection tagged with the stack id on Create and answers SUCCESS with the collection id as physical id', async () => {
    const body = await reply(request('create'));
    expect(rekognitionMock.commandCalls(CreateCollectionCommand)[0]!.args[0].input).toEqual({
      CollectionId: 'cognito-face-login-faces',
      Tags: { [STACK_TAG]: STACK_ID },
    });
    expect(body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'cognito-face-login-faces',
      LogicalResourceId: 'FaceCollection',
      Data: { CollectionId: 'cognito-face-login-faces' },
    });
  });

  test('answers with a PUT that carries the request ids and no content type', async () => {
    const event = request('create');
    const body = await reply(event);
    expect(replies[0]).toMatchObject({ method: 'PUT', contentType: '' });
    expect(body).toMatchObject({ StackId: event.StackId, RequestId: event.RequestId });
  });

  test('uses an existing empty collection on Create', async () => {
    existingCollection(0);
    expect(await reply(request('create'))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces' });
  });

  test("uses an existing collection holding this stack's own faces on Create (a retried Create)", async () => {
    existingCollection(12, STACK_ID);
    expect(await reply(request('create'))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces' });
    expect(rekognitionMock.commandCalls(ListTagsForResourceCommand)[0]!.args[0].input).toEqual({ ResourceArn: COLLECTION_ARN });
  });

  test("fails Create on an existing collection holding another stack's faces, naming the way out", async () => {
    const earlierStack = 'arn:aws:cloudformation:us-east-1:000000000000:stack/cognito-face-login/11111111-1111-1111-1111-111111111111';
    existingCollection(12, earlierStack);
    const event = request('create');
    expect(await reply(event)).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: `create-failed:${event.RequestId}`,
      Reason:
        `Collection cognito-face-login-faces already exists and holds 12 faces of another stack (${earlierStack}). ` +
        'Delete it (aws rekognition delete-collection) or deploy with AdoptExistingCollection=true.',
    });
  });

  test('fails Create on an existing untagged collection holding faces', async () => {
    existingCollection(3);
    expect(await reply(request('create'))).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining('holds 3 faces of another stack (untagged)'),
    });
  });

  test("adopts an existing collection holding another stack's faces when AdoptExisting is 'true'", async () => {
    existingCollection(12, 'arn:aws:cloudformation:us-east-1:000000000000:stack/cognito-face-login/11111111-1111-1111-1111-111111111111');
    const body = await reply(request('create', (event) => (properties(event).AdoptExisting = 'true')));
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces' });
    expect(rekognitionMock.commandCalls(DeleteCollectionCommand)).toHaveLength(0);
  });

  test('answers FAILED with the reason when Create fails', async () => {
    rekognitionMock
      .on(CreateCollectionCommand)
      .rejects(serviceError('AccessDeniedException', 'not authorized to perform rekognition:CreateCollection'));
    const event = request('create');
    expect(await reply(event)).toMatchObject({
      Status: 'FAILED',
      Reason: 'not authorized to perform rekognition:CreateCollection',
      PhysicalResourceId: `create-failed:${event.RequestId}`,
    });
  });

  test('refuses a CollectionId Rekognition would not accept, without calling it', async () => {
    const body = await reply(request('create', (event) => (properties(event).CollectionId = 'faces with spaces')));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: 'CollectionId must be 1-255 characters of a-z, A-Z, 0-9, _ . -' });
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('does nothing on an Update that keeps the collection id', async () => {
    expect(await reply(request('update'))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces' });
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('refuses an Update that changes the collection id, keeping the old collection and physical id', async () => {
    const body = await reply(request('update', (event) => (properties(event).CollectionId = 'renamed-faces')));
    expect(body).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'cognito-face-login-faces',
      Reason: 'CollectionId cannot change from cognito-face-login-faces: deleting that collection would delete every enrolled face',
    });
    expect(awsCallNames()).toEqual([]);
  });

  test('empties the bucket page by page, then deletes the collection, on Delete', async () => {
    bucketPages(['enrollment/a/1.jpg', 'liveness/a/ref.jpg'], ['enrollment/b/2.jpg']);
    expect(await reply(request('delete'))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces' });
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Delete: { Objects: [{ Key: 'enrollment/a/1.jpg' }, { Key: 'liveness/a/ref.jpg' }], Quiet: true } },
      { Bucket: BUCKET, Delete: { Objects: [{ Key: 'enrollment/b/2.jpg' }], Quiet: true } },
    ]);
    expect(rekognitionMock.commandCalls(DeleteCollectionCommand)[0]!.args[0].input).toEqual({ CollectionId: 'cognito-face-login-faces' });
    const lastPhotoDeletion = s3Mock.commandCalls(DeleteObjectsCommand)[1]!;
    expect(rekognitionMock.commandCalls(DeleteCollectionCommand)[0]!.calledAfter(lastPhotoDeletion)).toBe(true);
  });

  test('lists the bucket 1000 keys at a time, as many as one DeleteObjects takes', async () => {
    await reply(request('delete'));
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({ Bucket: BUCKET, MaxKeys: 1000 });
  });

  test("keeps the photos and the collection on Delete when RetainOnDelete is 'true'", async () => {
    bucketPages(['enrollment/a/1.jpg']);
    expect(await reply(request('delete', (event) => (properties(event).RetainOnDelete = 'true')))).toMatchObject({ Status: 'SUCCESS' });
    expect(awsCallNames()).toEqual([]);
  });

  test('deletes the collection on Delete when the bucket is already gone', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(serviceError('NoSuchBucket'));
    expect(await reply(request('delete'))).toMatchObject({ Status: 'SUCCESS' });
    expect(rekognitionMock.commandCalls(DeleteCollectionCommand)).toHaveLength(1);
  });

  test('answers FAILED and keeps the collection when some photos cannot be deleted, so a second delete can finish', async () => {
    bucketPages(['enrollment/a/1.jpg']);
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'enrollment/a/1.jpg', Code: 'AccessDenied', Message: 'Access Denied' }] });
    expect(await reply(request('delete'))).toMatchObject({
      Status: 'FAILED',
      Reason: `1 of 1 objects of ${BUCKET} could not be deleted, e.g. AccessDenied Access Denied`,
    });
    expect(rekognitionMock.commandCalls(DeleteCollectionCommand)).toHaveLength(0);
  });

  test('answers FAILED before the Lambda would time out while emptying the bucket', async () => {
    s3Mock.on(ListObjectsV2Command).callsFake(() => new Promise(() => undefined));
    expect(await reply(request('delete'), 2050)).toMatchObject({
      Status: 'FAILED',
      Reason: 'timed out',
      PhysicalResourceId: 'cognito-face-login-faces',
    });
  });

  test('treats a collection that is already gone as deleted', async () => {
    rekognitionMock.on(DeleteCollectionCommand).rejects(serviceError('ResourceNotFoundException'));
    expect(await reply(request('delete'))).toMatchObject({ Status: 'SUCCESS' });
  });

  test('deletes nothing, photos included, for a resource whose Create failed', async () => {
    bucketPages(['enrollment/a/1.jpg']);
    const body = await reply(
      request('delete', (event) => (event.PhysicalResourceId = 'create-failed:5f0c3a1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b')),
    );
    expect(body).toMatchObject({ Status: 'SUCCESS' });
    expect(awsCallNames()).toEqual([]);
  });

  test('answers FAILED when Delete fails', async () => {
    rekognitionMock.on(DeleteCollectionCommand).rejects(serviceError('AccessDeniedException', 'denied'));
    expect(await reply(request('delete'))).toMatchObject({ Status: 'FAILED', Reason: 'denied' });
  });

  test('answers FAILED before the Lambda would time out', async () => {
    rekognitionMock.on(CreateCollectionCommand).callsFake(() => new Promise(() => undefined));
    const event = request('create');
    expect(await reply(event, 2050)).toMatchObject({
      Status: 'FAILED',
      Reason: 'timed out',
      PhysicalResourceId: `create-failed:${event.RequestId}`,
    });
  });

  test('throws when CloudFormation refuses the answer, so Lambda retries the request', async () => {
    replyStatus = 403;
    await expect(handler(request('create'), context())).rejects.toThrow('CloudFormation response was refused with HTTP 403');
  });
});

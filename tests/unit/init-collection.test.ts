import './support/env';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateCollectionCommand, DeleteCollectionCommand } from '@aws-sdk/client-rekognition';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { handler } from '../../functions/init-collection/handler';
import { rekognitionMock, resetAwsMocks, serviceError } from './support/aws-mocks';
import { customResourceEvent } from './support/events';

interface CloudFormationReply {
  method: string;
  contentType: string | undefined;
  body: { Status: string; Reason: string; PhysicalResourceId: string; StackId: string; RequestId: string; LogicalResourceId: string; Data: Record<string, string> };
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
      replies.push({ method: request.method!, contentType: request.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
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
});

function context(remainingMs = 60_000): Context {
  return { getRemainingTimeInMillis: () => remainingMs, logStreamName: '2026/11/21/[$LATEST]abc' } as Context;
}

function request(name: 'create' | 'update' | 'delete', change?: (event: Record<string, unknown>) => void): CloudFormationCustomResourceEvent {
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
  test('creates the collection on Create and answers SUCCESS with the collection id as physical id', async () => {
    const body = await reply(request('create'));
    expect(rekognitionMock.commandCalls(CreateCollectionCommand)[0]!.args[0].input).toEqual({ CollectionId: 'cognito-face-login-faces' });
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces', LogicalResourceId: 'FaceCollection', Data: { CollectionId: 'cognito-face-login-faces' } });
  });

  test('answers with a PUT that carries the request ids and no content type', async () => {
    const event = request('create');
    const body = await reply(event);
    expect(replies[0]).toMatchObject({ method: 'PUT', contentType: '' });
    expect(body).toMatchObject({ StackId: event.StackId, RequestId: event.RequestId });
  });

  test('treats an existing collection on Create as success', async () => {
    rekognitionMock.on(CreateCollectionCommand).rejects(serviceError('ResourceAlreadyExistsException'));
    expect(await reply(request('create'))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces' });
  });

  test('answers FAILED with the reason when Create fails', async () => {
    rekognitionMock.on(CreateCollectionCommand).rejects(serviceError('AccessDeniedException', 'not authorized to perform rekognition:CreateCollection'));
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

  test('creates the new collection when an Update changes the id, so CloudFormation deletes the old one', async () => {
    const body = await reply(request('update', (event) => (properties(event).CollectionId = 'renamed-faces')));
    expect(rekognitionMock.commandCalls(CreateCollectionCommand)[0]!.args[0].input).toEqual({ CollectionId: 'renamed-faces' });
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'renamed-faces' });
  });

  test('keeps the old physical id when an Update fails', async () => {
    rekognitionMock.on(CreateCollectionCommand).rejects(serviceError('LimitExceededException'));
    const body = await reply(request('update', (event) => (properties(event).CollectionId = 'renamed-faces')));
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'cognito-face-login-faces' });
  });

  test('deletes the collection on Delete', async () => {
    expect(await reply(request('delete'))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'cognito-face-login-faces' });
    expect(rekognitionMock.commandCalls(DeleteCollectionCommand)[0]!.args[0].input).toEqual({ CollectionId: 'cognito-face-login-faces' });
  });

  test("keeps the collection on Delete when RetainOnDelete is 'true'", async () => {
    expect(await reply(request('delete', (event) => (properties(event).RetainOnDelete = 'true')))).toMatchObject({ Status: 'SUCCESS' });
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('treats a collection that is already gone as deleted', async () => {
    rekognitionMock.on(DeleteCollectionCommand).rejects(serviceError('ResourceNotFoundException'));
    expect(await reply(request('delete'))).toMatchObject({ Status: 'SUCCESS' });
  });

  test('deletes nothing for a resource whose Create failed', async () => {
    const body = await reply(request('delete', (event) => (event.PhysicalResourceId = 'create-failed:5f0c3a1e-2b4d-4e6f-8a9b-0c1d2e3f4a5b')));
    expect(body).toMatchObject({ Status: 'SUCCESS' });
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('answers FAILED when Delete fails', async () => {
    rekognitionMock.on(DeleteCollectionCommand).rejects(serviceError('AccessDeniedException', 'denied'));
    expect(await reply(request('delete'))).toMatchObject({ Status: 'FAILED', Reason: 'denied' });
  });

  test('answers FAILED before the Lambda would time out', async () => {
    rekognitionMock.on(CreateCollectionCommand).callsFake(() => new Promise(() => undefined));
    const event = request('create');
    expect(await reply(event, 2050)).toMatchObject({ Status: 'FAILED', Reason: 'timed out', PhysicalResourceId: `create-failed:${event.RequestId}` });
  });

  test('throws when CloudFormation refuses the answer, so Lambda retries the request', async () => {
    replyStatus = 403;
    await expect(handler(request('create'), context())).rejects.toThrow('CloudFormation response was refused with HTTP 403');
  });
});

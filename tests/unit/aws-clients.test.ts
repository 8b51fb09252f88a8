import './support/env';
import { createServer, type Server, type Socket } from 'node:net';
import { DetectFacesCommand } from '@aws-sdk/client-rekognition';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { AnalyzeIDCommand } from '@aws-sdk/client-textract';

/** A loopback endpoint that accepts connections and never answers, as a stalled AWS service would. */
let server: Server;
const sockets = new Set<Socket>();
let connections = 0;
let endpoint = '';

beforeAll(async () => {
  server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The clients as a function container creates them, with a short call timeout and endpoints from the SDK's env. */
async function clients() {
  Object.assign(process.env, {
    AWS_CALL_TIMEOUT_MS: '200',
    AWS_MAX_ATTEMPTS: '2',
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ENDPOINT_URL_REKOGNITION: endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_SESV2: endpoint,
    AWS_ENDPOINT_URL_TEXTRACT: endpoint,
  });
  return import('../../functions/lib/aws-clients');
}

describe('AWS clients', () => {
  test('give up on a Rekognition call that gets no answer instead of waiting for it', async () => {
    const { rekognition } = await clients();
    await expect(rekognition().send(new DetectFacesCommand({ Image: { Bytes: new Uint8Array([1]) } }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  test('give up on a DynamoDB call that gets no answer', async () => {
    const { dynamo } = await clients();
    await expect(dynamo().send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  test('give up on an S3 call that gets no answer, using path-style URLs', async () => {
    const { s3 } = await clients();
    const error = await s3()
      .send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' }))
      .catch((caught: Error) => caught);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(await s3().config.forcePathStyle).toBe(true);
  });

  test('give up on a Textract AnalyzeID call that gets no answer, at the endpoint from AWS_ENDPOINT_URL_TEXTRACT', async () => {
    const { textract } = await clients();
    const before = connections;
    await expect(textract().send(new AnalyzeIDCommand({ DocumentPages: [{ Bytes: new Uint8Array([1]) }] }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(connections).toBeGreaterThan(before);
  });

  test('give up on an SES call that gets no answer, at the endpoint from AWS_ENDPOINT_URL_SESV2', async () => {
    const { ses } = await clients();
    const before = connections;
    const email = new SendEmailCommand({
      FromEmailAddress: 'a@example.com',
      Destination: { ToAddresses: ['b@example.com'] },
      Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
    });
    await expect(ses().send(email)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(connections).toBeGreaterThan(before);
  });

  test('retry a stalled call only up to AWS_MAX_ATTEMPTS', async () => {
    const { rekognition } = await clients();
    const error = await rekognition()
      .send(new DetectFacesCommand({ Image: { Bytes: new Uint8Array([1]) } }))
      .catch((caught: { $metadata?: { attempts?: number } }) => caught);
    expect(error.$metadata?.attempts).toBe(2);
  });

  test('create each client once per container', async () => {
    const { rekognition, s3, dynamo, ses } = await clients();
    expect(rekognition()).toBe(rekognition());
    expect(ses()).toBe(ses());
    expect(s3()).toBe(s3());
    expect(dynamo()).toBe(dynamo());
  });
});

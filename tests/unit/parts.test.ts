import { createServer, type Server, type Socket } from 'node:net';
import { DetectFacesCommand } from '@aws-sdk/client-rekognition';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { AnalyzeIDCommand } from '@aws-sdk/client-textract';
import {
  type ClientFactory,
  type ClientName,
  createDynamo,
  createRekognition,
  createS3,
  createSes,
  createTextract,
} from '../../functions/lib/aws-clients';
import { ConfigError } from '../../functions/lib/config';
import { fromEnvironment } from '../../functions/lib/parts';
import { FUNCTION_ENV } from './support/parts';

const ALL_CLIENTS = { dynamo: createDynamo, s3: createS3, rekognition: createRekognition, ses: createSes, textract: createTextract };

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
  for (const name of Object.keys(SDK_ENV(endpoint))) delete process.env[name];
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/**
 * What the SDK reads from the process environment itself when a client is made (as the Lambda runtime sets it):
 * region, credentials and, as the local stack sets them, endpoints.
 */
const SDK_ENV = (endpoint: string): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAUNITTESTKEY00001',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-access-key',
  ...Object.fromEntries(['REKOGNITION', 'DYNAMODB', 'S3', 'SESV2', 'TEXTRACT'].map((service) => [`AWS_ENDPOINT_URL_${service}`, endpoint])),
});

/** The clients as a function container creates them, with a short call timeout, at the stalled endpoint. */
function clients() {
  Object.assign(process.env, SDK_ENV(endpoint));
  const env = { ...FUNCTION_ENV, AWS_CALL_TIMEOUT_MS: '200', AWS_MAX_ATTEMPTS: '2', S3_FORCE_PATH_STYLE: 'true' };
  return fromEnvironment(ALL_CLIENTS, env).clients;
}

describe('the parts of the environment', () => {
  test('fail loudly, naming the variable, when the configuration is invalid', () => {
    expect(() => fromEnvironment(ALL_CLIENTS, { ...FUNCTION_ENV, SIMILARITY_THRESHOLD: '0.9' })).toThrow(ConfigError);
    expect(() => fromEnvironment({}, { ...FUNCTION_ENV, TABLE_NAME: '' })).toThrow('TABLE_NAME is required');
  });

  test('hold exactly the clients the function asks for', () => {
    const { clients } = fromEnvironment({ dynamo: createDynamo, s3: createS3 }, FUNCTION_ENV);
    expect(Object.keys(clients).sort()).toEqual(['dynamo', 's3']);
  });

  test('make each client once, when it is first used', () => {
    const made: string[] = [];
    const counted =
      <C extends ClientName>(name: C, create: ClientFactory<C>): ClientFactory<C> =>
      (settings) => {
        made.push(name);
        return create(settings);
      };
    const { clients } = fromEnvironment({ dynamo: counted('dynamo', createDynamo), s3: counted('s3', createS3) }, FUNCTION_ENV);
    expect(made).toEqual([]);
    expect(clients.dynamo).toBe(clients.dynamo);
    expect(made).toEqual(['dynamo']);
  });
});

describe('AWS clients', () => {
  test('give up on a Rekognition call that gets no answer instead of waiting for it', async () => {
    const { rekognition } = clients();
    await expect(rekognition.send(new DetectFacesCommand({ Image: { Bytes: new Uint8Array([1]) } }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  test('give up on a DynamoDB call that gets no answer', async () => {
    const { dynamo } = clients();
    await expect(dynamo.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  test('give up on an S3 call that gets no answer, using path-style URLs', async () => {
    const { s3 } = clients();
    const error = await s3.send(new HeadObjectCommand({ Bucket: 'bucket', Key: 'k' })).catch((caught: Error) => caught);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(await s3.config.forcePathStyle).toBe(true);
  });

  test('give up on a Textract AnalyzeID call that gets no answer, at the endpoint from AWS_ENDPOINT_URL_TEXTRACT', async () => {
    const { textract } = clients();
    const before = connections;
    await expect(textract.send(new AnalyzeIDCommand({ DocumentPages: [{ Bytes: new Uint8Array([1]) }] }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(connections).toBeGreaterThan(before);
  });

  test('give up on an SES call that gets no answer, at the endpoint from AWS_ENDPOINT_URL_SESV2', async () => {
    const { ses } = clients();
    const before = connections;
    const email = new SendEmailCommand({
      FromEmailAddress: 'a@example.com',
      Destination: { ToAddresses: ['b@example.com'] },
      Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
    });
    await expect(ses.send(email)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(connections).toBeGreaterThan(before);
  });

  test('retry a stalled call only up to AWS_MAX_ATTEMPTS', async () => {
    const { rekognition } = clients();
    const error = await rekognition
      .send(new DetectFacesCommand({ Image: { Bytes: new Uint8Array([1]) } }))
      .catch((caught: { $metadata?: { attempts?: number } }) => caught);
    expect(error.$metadata?.attempts).toBe(2);
  });
});

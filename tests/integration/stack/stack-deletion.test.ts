/**
 * `sam delete` and a redeploy of the same stack name, played against the local S3 and the local Rekognition with
 * the custom resource's own handler (InitCollectionFunction), as CloudFormation would send it the requests:
 * the default deletion empties the bucket and deletes the faces; RetainDataOnDelete keeps both; a
 * later stack of the same name then finds the kept collection and refuses it, unless told to adopt it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeCollectionCommand, IndexFacesCommand, ResourceNotFoundException } from '@aws-sdk/client-rekognition';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { makeHandler } from '../../../functions/init-collection/handler';
import { logger } from '../../../functions/lib/logger';
import { startLocalS3, type LocalS3 } from '../../../local/s3/local-s3';
import { freePort } from '../../../local/template/local-environment';
import { CREDENTIALS, fixture, REGION, startServer, temporaryDirectory, type RunningServer } from '../rekognition/harness';

const BUCKET = 'face-login-000000000000-00000000-0000-0000-0000-000000000000';
const COLLECTION = 'cognito-face-login-faces';
const STACK = 'arn:aws:cloudformation:us-east-1:000000000000:stack/cognito-face-login/00000000-0000-0000-0000-000000000000';
const NEXT_STACK = 'arn:aws:cloudformation:us-east-1:000000000000:stack/cognito-face-login/11111111-1111-1111-1111-111111111111';
/**
 * Photos in the bucket. The local S3 (s3rver) cannot page ListObjectsV2 past 1000 keys (README, local-stack
 * limits), so paging is covered by the unit tests; this covers the real requests.
 */
const PHOTO_COUNT = 40;

type Handler = (event: CloudFormationCustomResourceEvent, context: Context) => Promise<void>;

let dataDir: Awaited<ReturnType<typeof temporaryDirectory>>;
let s3: LocalS3;
let s3Client: S3Client;
let rekognition: RunningServer;
let handler: Handler;
let cloudFormation: Server;
let answers: Array<{ Status: string; Reason?: string; PhysicalResourceId: string }> = [];

beforeAll(async () => {
  dataDir = await temporaryDirectory('stack-deletion-');
  s3 = await startLocalS3({
    port: await freePort(),
    dataDir: `${dataDir.path}/s3`,
    buckets: [{ name: BUCKET, cors: [] }],
    region: REGION,
    credentials: { [CREDENTIALS.accessKeyId]: CREDENTIALS.secretAccessKey },
  });
  s3Client = new S3Client({ endpoint: s3.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
  rekognition = await startServer({ dataDir: `${dataDir.path}/rekognition` });
  logger.setLogLevel('SILENT');
  handler = makeHandler({ clients: { s3: s3Client, rekognition: rekognition.client } });
  cloudFormation = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      answers.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => cloudFormation.close(() => resolve()));
  s3Client.destroy();
  await rekognition.stop();
  await s3.stop();
  await dataDir.remove();
});

/** Sends the custom resource one request and returns CloudFormation's answer. */
async function send(requestType: 'Create' | 'Delete', stackId: string, properties: Record<string, string> = {}) {
  answers = [];
  const event = {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:InitCollectionFunction',
    ResponseURL: `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}/response`,
    StackId: stackId,
    RequestId: `request-${Math.random()}`,
    LogicalResourceId: 'FaceCollection',
    ResourceType: 'Custom::RekognitionCollection',
    ResourceProperties: {
      ServiceToken: 'token',
      CollectionId: COLLECTION,
      BucketName: BUCKET,
      RetainOnDelete: 'false',
      AdoptExisting: 'false',
      ...properties,
    },
    ...(requestType === 'Delete' ? { PhysicalResourceId: COLLECTION } : {}),
  } as CloudFormationCustomResourceEvent;
  await handler(event, { getRemainingTimeInMillis: () => 300_000, logStreamName: 'local' } as Context);
  expect(answers).toHaveLength(1);
  return answers[0]!;
}

/** A stack in use: its collection with one enrolled face, and PHOTO_COUNT photos in the bucket. */
async function deployedWithData(stackId: string): Promise<void> {
  expect(await send('Create', stackId)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: COLLECTION });
  await rekognition.client.send(
    new IndexFacesCommand({ CollectionId: COLLECTION, Image: { Bytes: await fixture('server-jack-dorsey-a.jpg') }, MaxFaces: 1 }),
  );
  const keys = Array.from({ length: PHOTO_COUNT }, (_, index) => `${index % 2 ? 'enrollment' : 'liveness'}/user-${index}/photo.jpg`);
  await Promise.all(keys.map((Key) => s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'photo' }))));
}

const objectCount = async () => (await s3Client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount ?? 0;
const faceCount = async () => (await rekognition.client.send(new DescribeCollectionCommand({ CollectionId: COLLECTION }))).FaceCount;

describe("the stack's deletion through the collection custom resource", () => {
  test('by default empties the bucket and deletes the collection', async () => {
    await deployedWithData(STACK);
    expect(await send('Delete', STACK)).toMatchObject({ Status: 'SUCCESS' });
    expect(await objectCount()).toBe(0);
    await expect(faceCount()).rejects.toBeInstanceOf(ResourceNotFoundException);
  }, 180_000);

  test('with RetainOnDelete keeps every photo and every face', async () => {
    await deployedWithData(STACK);
    expect(await send('Delete', STACK, { RetainOnDelete: 'true' })).toMatchObject({ Status: 'SUCCESS' });
    expect(await objectCount()).toBe(PHOTO_COUNT);
    expect(await faceCount()).toBe(1);
  }, 180_000);

  test("makes a later stack of the same name fail on the kept collection's faces", async () => {
    const answer = await send('Create', NEXT_STACK);
    expect(answer).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining(`already exists and holds 1 face of another stack (${STACK})`),
    });
    expect(await faceCount()).toBe(1);
  });

  test('lets a later stack adopt the kept collection with its faces when AdoptExisting says so', async () => {
    expect(await send('Create', NEXT_STACK, { AdoptExisting: 'true' })).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: COLLECTION,
    });
    expect(await faceCount()).toBe(1);
  });

  test('lets the stack that made the collection create it again (a retried Create, a restarted local stack)', async () => {
    expect(await send('Create', STACK)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: COLLECTION });
  });
});

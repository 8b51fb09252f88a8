import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { S3Event } from 'aws-lambda';
import { LambdaRunner } from '../../../local/lambda/runner';
import { notificationTargets, S3EventBridge } from '../../../local/s3/event-bridge';
import type { LocalS3 } from '../../../local/s3/local-s3';
import { LocalDeployment } from '../../../local/template/deployment';
import { loadTemplate } from '../../../local/template/load-template';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/template/local-environment';
import { readStackWiring } from '../../../local/template/wiring';
import { s3ClientOf, startTestS3 } from './local-s3-harness';

const INDEXER = fileURLToPath(new URL('./fixtures/recording-indexer.mjs', import.meta.url));

describe('the S3 event bridge', () => {
  const deployment = new LocalDeployment(readStackWiring(loadTemplate()), {
    stackName: 'bridge-test',
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
  });
  const bucket = deployment.ref('FaceBucket');
  let dataDir: string;
  let recordFile: string;
  let s3: LocalS3;
  let client: S3Client;
  let runner: LambdaRunner;
  let bridge: S3EventBridge;

  function startBridge(): S3EventBridge {
    const started = new S3EventBridge({
      source: s3.events,
      targets: notificationTargets(deployment),
      region: LOCAL_REGION,
      queueDir: join(dataDir, 'events'),
      deliver: async (logicalId, event) => void (await runner.invokeForResult(logicalId, event)),
      retryDelaysMs: [20, 40],
    });
    started.start();
    return started;
  }

  function delivered(): S3Event[] {
    if (!existsSync(recordFile)) return [];
    return readFileSync(recordFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as S3Event);
  }

  const keysDelivered = () => delivered().map((event) => event.Records[0]!.s3.object.key);

  async function put(key: string): Promise<void> {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('image bytes'), ContentType: 'image/jpeg' }));
  }

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-bridge-'));
    recordFile = join(dataDir, 'deliveries.jsonl');
    s3 = await startTestS3(join(dataDir, 's3'), [{ name: bucket, cors: [] }]);
    client = s3ClientOf(s3);
    runner = new LambdaRunner({ log: () => undefined });
    runner.register({
      logicalId: 'IndexFaceFunction',
      functionName: 'bridge-test-IndexFaceFunction',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bridge-test-IndexFaceFunction',
      bundlePath: INDEXER,
      handlerExport: 'handler',
      timeoutSeconds: 5,
      memorySizeMb: 128,
      environment: { RECORD_FILE: recordFile },
    });
    bridge = startBridge();
  });

  afterEach(async () => {
    bridge.stop();
    await runner.stop();
    client.destroy();
    await s3.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers only the objects the template subscribes the indexer to (prefix enrollment/)', async () => {
    await put('liveness/user-1/reference.jpg');
    await put('enrollment/user-1/id.jpg');
    await put('notes/enrollment/user-1/id.jpg');
    await bridge.idle();
    expect(keysDelivered()).toEqual(['enrollment/user-1/id.jpg']);
  });

  it('sends the event shape S3 sends', async () => {
    await put('enrollment/user-1/id.jpg');
    await bridge.idle();
    const [record] = delivered()[0]!.Records;
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: LOCAL_REGION,
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'FaceBucketLambda1',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: 'enrollment/user-1/id.jpg', size: 11 },
      },
    });
    expect(record!.s3.object.eTag).toMatch(/^[0-9a-f]{32}$/);
  });

  it('encodes keys as S3 does: spaces as +, reserved characters percent-encoded, / kept', async () => {
    await put('enrollment/user 1/photo (1)+é.jpg');
    await bridge.idle();
    expect(keysDelivered()).toEqual(['enrollment/user+1/photo+%281%29%2B%C3%A9.jpg']);
  });

  it('delivers a presigned POST upload as ObjectCreated:Post', async () => {
    const key = 'enrollment/user-2/id.png';
    const post = await createPresignedPost(client, {
      Bucket: bucket,
      Key: key,
      Conditions: [['content-length-range', 1, 100]],
      Fields: { 'Content-Type': 'image/png' },
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append('file', new Blob([Buffer.from('png bytes')]), 'id.png');
    expect((await fetch(post.url, { method: 'POST', body: form })).status).toBe(204);
    await bridge.idle();
    expect(delivered().map((event) => event.Records[0]!.eventName)).toEqual(['ObjectCreated:Post']);
  });

  it('delivers the same object twice when it is written twice, with increasing sequencers', async () => {
    await put('enrollment/user-1/id.jpg');
    await put('enrollment/user-1/id.jpg');
    await bridge.idle();
    expect(keysDelivered()).toEqual(['enrollment/user-1/id.jpg', 'enrollment/user-1/id.jpg']);
    const [first, second] = delivered().map((event) => event.Records[0]!.s3.object.sequencer);
    expect(second! > first!).toBe(true);
  });

  it('retries a failing indexer and stops once it succeeds', async () => {
    await put('enrollment/user-1/fail-twice.jpg');
    await bridge.idle();
    expect(keysDelivered()).toEqual(Array(3).fill('enrollment/user-1/fail-twice.jpg'));
    expect(readdirSync(join(dataDir, 'events', 'failed'))).toEqual([]);
  });

  it('gives up after two retries and keeps the event in failed/', async () => {
    await put('enrollment/user-1/fail-always.jpg');
    await bridge.idle();
    expect(keysDelivered()).toHaveLength(3);
    const [failed] = readdirSync(join(dataDir, 'events', 'failed'));
    expect(JSON.parse(readFileSync(join(dataDir, 'events', 'failed', failed!), 'utf8'))).toMatchObject({ attempts: 3 });
  });

  it('does not hold up other events while one waits for its retry', async () => {
    await put('enrollment/user-1/fail-twice.jpg');
    await put('enrollment/user-2/id.jpg');
    await bridge.idle();
    expect(keysDelivered().indexOf('enrollment/user-2/id.jpg')).toBeLessThan(
      keysDelivered().lastIndexOf('enrollment/user-1/fail-twice.jpg'),
    );
  });

  it('delivers after a restart what was still queued when the bridge stopped', async () => {
    bridge.stop();
    const pending = join(dataDir, 'events', 'pending');
    const event = { Records: [{ s3: { object: { key: 'enrollment/user-3/id.jpg' } } }] };
    writeFileSync(
      join(pending, '000000000000001-left-over.json'),
      JSON.stringify({ id: '000000000000001-left-over', functionLogicalId: 'IndexFaceFunction', event, attempts: 0, notBefore: 0 }),
    );
    bridge = startBridge();
    await bridge.idle();
    expect(keysDelivered()).toEqual(['enrollment/user-3/id.jpg']);
    expect(readdirSync(pending)).toEqual([]);
  });
});

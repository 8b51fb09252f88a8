/**
 * The face engine pool with real worker threads: the real engine answers through the FaceEngine contract from its
 * workers; a stand-in engine (./stand-in-engine.ts) holds, crashes or refuses on order, to show that a dying worker
 * fails its task and is replaced, that the pool stops cleanly, and that a full interactive lane answers the
 * Rekognition API's callers with ThrottlingException at once, which the SDK retries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DetectFacesCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { ImageFormatError } from '../../../local/rekognition/engine/types';
import { PoolStoppedError, startFaceEnginePool, type FaceEnginePool } from '../../../local/rekognition/engine-pool/index';
import { startRekognitionServer } from '../../../local/rekognition/server/index';
import { CREDENTIALS, REGION, temporaryDirectory } from '../rekognition/harness';
import { holdGate } from './stand-in-engine';

const STAND_IN = new URL('./stand-in-engine.ts', import.meta.url);
const FIXTURES = fileURLToPath(new URL('../../fixtures/faces/', import.meta.url));
const order = (text: string) => Buffer.from(text, 'latin1');

/** A pool of the stand-in engine, and the gate its held tasks wait at. */
async function standInPool(options: { workers?: number; maxInteractiveWaitMs?: number; taskTimeoutMs?: number } = {}) {
  const hold = holdGate();
  const pool = await startFaceEnginePool({ workers: 1, ...options, engineModule: STAND_IN, engineModuleOptions: { gate: hold.gate } });
  return { pool, open: hold.open, threadIds: hold.threadIds };
}

describe('with the real engine', () => {
  let pool: FaceEnginePool;
  beforeAll(async () => {
    pool = await startFaceEnginePool({ workers: 2 });
  });
  afterAll(() => pool.close());

  it('analyses photos in its workers, and scores two of the same person at Similarity 90 or more', async () => {
    const photos = await Promise.all(
      ['engine-lfw-george_w_bush_0353.jpg', 'engine-lfw-george_w_bush_0407.jpg'].map((name) => readFile(join(FIXTURES, name))),
    );
    const [a, b] = await Promise.all([pool.interactive.analyse(photos[0]!), pool.liveness.analyse(photos[1]!)]);
    expect([a!.faces.length, b!.faces.length, a!.faces[0]!.embedding.length]).toEqual([1, 1, 512]);
    expect(pool.interactive.similarity(a!.faces[0]!.embedding, b!.faces[0]!.embedding)).toBeGreaterThanOrEqual(90);
    expect(pool.interactive.modelVersion).toMatch(/^faceplugin-/);
  });

  it("scans a raw video frame, leaving the caller's pixels as they were", async () => {
    const { data, info } = await sharp(join(FIXTURES, 'engine-lfw-aj_cook_0001.jpg'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const before = Buffer.from(data);
    const scanned = await pool.liveness.scanFrame(
      { data, width: info.width, height: info.height, channels: 3 },
      { describeSingleFace: true },
    );
    expect(scanned.faces).toHaveLength(1);
    expect(scanned.described?.face.embedding).toHaveLength(512);
    expect(scanned.described!.live).toBeGreaterThanOrEqual(0);
    expect(scanned.described!.live).toBeLessThanOrEqual(1);
    expect(data.equals(before)).toBe(true);
  });

  it('scans a frame in shared memory, as the video decoder gives them, as it scans a copy of it', async () => {
    const { data, info } = await sharp(join(FIXTURES, 'engine-lfw-aj_cook_0001.jpg'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const shared = Buffer.from(new SharedArrayBuffer(data.length));
    data.copy(shared);
    const scan = (bytes: Buffer) =>
      pool.liveness.scanFrame({ data: bytes, width: info.width, height: info.height, channels: 3 }, { describeSingleFace: true });
    const [fromShared, fromCopy] = await Promise.all([scan(shared), scan(data)]);
    expect(fromShared.faces).toEqual(fromCopy.faces);
    expect(fromShared.described!.live).toBe(fromCopy.described!.live);
  });

  it("passes the engine's refusals on as the same error classes", async () => {
    await expect(pool.interactive.analyse(order('not a JPEG'))).rejects.toBeInstanceOf(ImageFormatError);
  });
});

it('fails the task of a worker that dies, and serves the next task with a new worker', async () => {
  const { pool } = await standInPool();
  try {
    await expect(pool.interactive.analyse(order('crash'))).rejects.toThrow('face worker exited (code 3)');
    expect((await pool.interactive.analyse(order('face'))).faces).toHaveLength(1);
  } finally {
    await pool.close();
  }
});

it('ends the worker of a task that runs over the time limit and fails that task', async () => {
  const { pool } = await standInPool({ taskTimeoutMs: 300 });
  try {
    await expect(pool.liveness.analyse(order('hold'))).rejects.toThrow('ran over 300 ms');
    expect((await pool.liveness.analyse(order('face'))).faces).toHaveLength(1);
  } finally {
    await pool.close();
  }
});

it('serves the waiting video frame of the lower rank first', async () => {
  const { pool, open } = await standInPool();
  const frame = (text: string) => ({ data: order(text), width: text.length, height: 1, channels: 3 as const });
  try {
    const finished: string[] = [];
    const scan = (text: string, rank: number) =>
      pool.liveness.scanFrame(frame(text), { describeSingleFace: false, rank }).then(() => finished.push(text));
    const scans = [scan('hold', 0), scan('later video', 2), scan('earlier video', 1)];
    open();
    await Promise.all(scans);
    expect(finished).toEqual(['hold', 'earlier video', 'later video']);
  } finally {
    await pool.close();
  }
});

it('names its worker threads face-worker, so their CPU shows apart from the event loop', async () => {
  const { pool, threadIds } = await standInPool({ workers: 2 });
  try {
    const names = threadIds().map((id) => readFileSync(`/proc/self/task/${id}/comm`, 'utf8').trim());
    expect(names).toEqual(['face-worker', 'face-worker']);
  } finally {
    await pool.close();
  }
});

it('stops cleanly: the running task fails, new ones are refused, and no worker thread is left', async () => {
  const { pool, threadIds } = await standInPool({ workers: 2 });
  const threads = threadIds().map((id) => `/proc/self/task/${id}`);
  expect(threads.filter((thread) => existsSync(thread))).toHaveLength(2);
  const running = expect(pool.liveness.analyse(order('hold'))).rejects.toBeInstanceOf(PoolStoppedError);
  await pool.close();
  await running;
  await expect(pool.interactive.analyse(order('face'))).rejects.toBeInstanceOf(PoolStoppedError);
  expect(threads.filter((thread) => existsSync(thread))).toEqual([]);
});

describe('behind the Rekognition API', () => {
  let dataDir: Awaited<ReturnType<typeof temporaryDirectory>>;
  beforeEach(async () => {
    dataDir = await temporaryDirectory('face-pool-');
  });
  afterEach(() => dataDir.remove());

  /** The Rekognition server on a one-worker stand-in pool that admits no wait, and a client with the given attempts. */
  async function rekognitionOn(maxAttempts: number) {
    const { pool, open } = await standInPool({ maxInteractiveWaitMs: 0 });
    const server = await startRekognitionServer({ port: 0, dataDir: dataDir.path, engine: pool.interactive });
    const client = new RekognitionClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts });
    return {
      pool,
      client,
      open,
      stop: async () => {
        client.destroy();
        await server.close();
        await pool.close();
      },
    };
  }

  it('answers an image call that cannot start in time with ThrottlingException (HTTP 500) at once', async () => {
    const { pool, client, open, stop } = await rekognitionOn(1);
    try {
      const held = pool.interactive.analyse(order('hold'));
      const refusal = await client.send(new DetectFacesCommand({ Image: { Bytes: order('face') } })).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 500, attempts: 1 } });
      open();
      await held;
    } finally {
      await stop();
    }
  });

  it('is retried by the SDK, which gets its answer once a worker is free', async () => {
    const { pool, client, open, stop } = await rekognitionOn(3);
    try {
      const held = pool.interactive.analyse(order('hold'));
      // On the first refusal, let the held task finish before the SDK retries.
      client.middlewareStack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            open();
            await held;
            throw error;
          }
        },
        // Outside the deserializer, which turns the refusal into the error, and inside the retries.
        { step: 'deserialize', priority: 'high', name: 'freeTheWorkerOnRefusal' },
      );
      const answer = await client.send(new DetectFacesCommand({ Image: { Bytes: order('face') } }));
      expect([answer.FaceDetails?.length, answer.$metadata.attempts]).toEqual([1, 2]);
    } finally {
      await stop();
    }
  });
});

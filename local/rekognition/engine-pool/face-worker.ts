/**
 * One face worker thread: creates its own engine (one onnxruntime thread, so N workers use N cores) from the module
 * the pool names, says `ready`, then runs one job at a time as the pool sends them. Image bytes arrive in buffers
 * the pool transferred, or shared (video frames); embeddings go back transferred.
 */
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { FACE_WORKER_THREAD_NAME, nameThisThread } from '../../thread-names';
import type { DetectedFace, FaceEngine, RawImage } from '../engine/types';

/** What the pool gives a worker: where its engine comes from and the options to create it with. */
export interface WorkerSpec {
  /** URL of a module exporting `createFaceEngine(options)`: the real engine, or a test's stand-in. */
  engineModule: string;
  engineOptions: Record<string, unknown>;
}

/** An image as it crosses the thread boundary: bytes in a Uint8Array (a Buffer arrives as one). */
export type WireImage = Uint8Array | (Omit<RawImage, 'data'> & { data: Uint8Array });

export type FaceJob =
  | { op: 'analyse'; image: WireImage }
  | { op: 'liveProbability'; image: WireImage; face: DetectedFace }
  | { op: 'scanFrame'; image: Omit<RawImage, 'data'> & { data: Uint8Array }; describeSingleFace: boolean };

export interface WireError {
  name: string;
  message: string;
}

export type FromWorker =
  | { type: 'ready'; modelVersion: string; osThreadId: number | undefined }
  | { type: 'init-error'; error: WireError }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: WireError };

const port = parentPort!;
const spec = workerData as WorkerSpec;
// Before the engine starts: its CPU then shows under this name in /proc, top -H and bench:stack's CPU by thread.
nameThisThread(FACE_WORKER_THREAD_NAME);

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const toBuffer = (image: WireImage): Buffer | RawImage =>
  image instanceof Uint8Array ? asBuffer(image) : { ...image, data: asBuffer(image.data) };
const wireError = (error: unknown): WireError =>
  error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };

/** The buffers of the embeddings in a result, to transfer rather than copy. */
function embeddingBuffers(result: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const visit = (value: unknown) => {
    if (value instanceof Float32Array) {
      if (value.buffer instanceof ArrayBuffer && value.byteLength === value.buffer.byteLength) buffers.add(value.buffer);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(result);
  return [...buffers];
}

/** This thread's id in the OS (Linux), whose CPU time the pool reports; undefined elsewhere. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

async function run(engine: FaceEngine, job: FaceJob): Promise<unknown> {
  switch (job.op) {
    case 'analyse':
      return engine.analyse(toBuffer(job.image));
    case 'liveProbability':
      return engine.liveProbability(toBuffer(job.image), job.face);
    case 'scanFrame':
      return engine.scanFrame({ ...job.image, data: asBuffer(job.image.data) }, { describeSingleFace: job.describeSingleFace });
  }
}

async function createEngine(): Promise<FaceEngine | undefined> {
  try {
    const module = (await import(spec.engineModule)) as { createFaceEngine(options: Record<string, unknown>): Promise<FaceEngine> };
    return await module.createFaceEngine(spec.engineOptions);
  } catch (error) {
    // The pool terminates a worker whose engine did not load.
    port.postMessage({ type: 'init-error', error: wireError(error) } satisfies FromWorker);
    return undefined;
  }
}

const engine = await createEngine();
if (engine) {
  port.on('message', async ({ id, job }: { id: number; job: FaceJob }) => {
    try {
      const result = await run(engine, job);
      port.postMessage({ type: 'done', id, result } satisfies FromWorker, embeddingBuffers(result));
    } catch (error) {
      port.postMessage({ type: 'failed', id, error: wireError(error) } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'ready', modelVersion: engine.modelVersion, osThreadId: osThreadId() } satisfies FromWorker);
}

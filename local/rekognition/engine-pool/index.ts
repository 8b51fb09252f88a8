/**
 * The face engine off the serving event loop: a pool of worker threads, each owning one engine on one onnxruntime
 * thread (so N workers use N cores), behind the FaceEngine contract. Decoding, detection, embedding and anti-spoof
 * scoring run in the workers; the servers' event loops only parse, queue and answer.
 *
 *   const pool = await startFaceEnginePool({ workers: 2 });   // default: os.availableParallelism()
 *   startRekognitionServer({ engine: pool.interactive, ... }); // image calls: served first, throttled when full
 *   startLivenessService({ engine: pool.liveness, ... });      // video frames: served when no image call waits
 *   await pool.close();                                        // terminates every worker
 *
 * The two views share the workers and one queue of lanes (./lane-scheduler.ts). similarity() runs on the caller's
 * thread: it is arithmetic on two embeddings. Images are copied once into a buffer of their own, which is
 * transferred to the worker (the caller keeps its bytes: frames become reference images, and a refused image's
 * size is read again), unless they are in shared memory, as decoded video frames are; embeddings are transferred
 * back. A worker that dies fails the task it was running and is
 * replaced for the next one; a task running longer than `taskTimeoutMs` ends its worker the same way.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FaceEngineOptions } from '../engine/index';
import { cosine, readCalibration, similarityFromCosine } from '../engine/similarity';
import { ImageDimensionError, ImageFormatError, type FaceEngine, type RawImage } from '../engine/types';
import { LaneScheduler, PoolStoppedError, type Lane } from './lane-scheduler';
import type { FaceJob, FromWorker, WireError, WireImage, WorkerSpec } from './face-worker';

export { LANES, LaneScheduler, PoolStoppedError, type Lane } from './lane-scheduler';

const WORKER_SCRIPT = new URL('./face-worker.mjs', import.meta.url);
const ENGINE_MODULE = new URL('../engine/index.ts', import.meta.url);

export interface FaceEnginePoolOptions {
  /** Worker threads, each with its own engine; default os.availableParallelism(). */
  workers?: number;
  /** An image call whose estimated wait for a worker exceeds this is refused with ThrottlingException; default 1000. */
  maxInteractiveWaitMs?: number;
  /** A task running longer ends its worker and fails; default 30 s (a 640x480 image takes about 50 ms). */
  taskTimeoutMs?: number;
  /** Model directory and calibration file of the engines (threads is always 1 per worker). */
  engine?: Omit<FaceEngineOptions, 'threads'>;
  /** A module exporting `createFaceEngine(options)` that the workers load instead of the real engine (tests). */
  engineModule?: URL;
  /** Options for that module's createFaceEngine, passed to each worker (structured-cloned). */
  engineModuleOptions?: Record<string, unknown>;
}

export interface FaceEnginePool {
  /** For image calls (CompareFaces, SearchFacesByImage, IndexFaces, DetectFaces): first in line, throttled when full. */
  readonly interactive: FaceEngine;
  /** For liveness video frames: served whenever no image call waits; never refused. */
  readonly liveness: FaceEngine;
  readonly workers: number;
  /**
   * CPU seconds the running workers' threads have used (Linux, from /proc; undefined elsewhere): the face work itself,
   * as onnxruntime runs on the calling thread with one intra-op thread.
   */
  cpuSeconds(): number | undefined;
  /** Fails the waiting and running tasks and terminates every worker. */
  close(): Promise<void>;
}

/** A face task with the buffers to transfer to the worker. */
interface Submitted {
  job: FaceJob;
  transfer: ArrayBuffer[];
}

/** What the first interactive tasks are assumed to take, before any has been timed (a 640x480 photo, one face). */
const INITIAL_SERVICE_MS = 100;

function revive({ name, message }: WireError): Error {
  if (name === 'ImageFormatError') return new ImageFormatError(message);
  if (name === 'ImageDimensionError') return new ImageDimensionError(message);
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * Bytes for a worker: in shared memory (decoded video frames) as they are, since the worker reads them where they
 * lie; else a copy in a buffer of their own, which is transferred without touching the caller's.
 */
function ownCopy(bytes: Uint8Array, transfer: ArrayBuffer[]): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const copy = new Uint8Array(bytes);
  transfer.push(copy.buffer);
  return copy;
}

function wireImage(image: Buffer | RawImage, transfer: ArrayBuffer[]): WireImage {
  return Buffer.isBuffer(image) ? ownCopy(image, transfer) : { ...image, data: ownCopy(image.data, transfer) };
}

interface RunningTask {
  id: number;
  /** The worker running it: only that worker's answer or death settles it. */
  worker: Worker;
  resolve(result: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/** One worker thread, started when first needed and again after it dies; one task at a time. */
class WorkerSlot {
  private worker: Worker | undefined;
  private started: Promise<string> | undefined;
  private task: RunningTask | undefined;
  private nextId = 1;
  private stopped = false;
  /** The running worker's thread id in the OS, when known. */
  osThreadId: number | undefined;

  constructor(
    private readonly spec: WorkerSpec,
    private readonly taskTimeoutMs: number,
  ) {}

  /** Resolves with the engine's model version once the worker's engine has loaded. */
  ready(): Promise<string> {
    if (this.stopped) return Promise.reject(new PoolStoppedError());
    this.started ??= this.spawn();
    return this.started;
  }

  async run({ job, transfer }: Submitted): Promise<unknown> {
    await this.ready();
    const worker = this.worker;
    if (this.stopped || !worker) throw new PoolStoppedError();
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.settle(worker)?.reject(new Error(`face task ${job.op} ran over ${this.taskTimeoutMs} ms; its worker is ended`));
        this.retire(worker);
      }, this.taskTimeoutMs);
      this.task = { id, worker, resolve, reject, timer };
      worker.postMessage({ id, job }, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    this.settle(worker)?.reject(new PoolStoppedError());
    this.retire(worker);
    await worker.terminate();
  }

  private spawn(): Promise<string> {
    const worker = new Worker(WORKER_SCRIPT, { workerData: this.spec });
    this.worker = worker;
    return new Promise<string>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          this.osThreadId = message.osThreadId;
          resolve(message.modelVersion);
        } else if (message.type === 'init-error') {
          reject(revive(message.error));
          this.retire(worker);
        } else if (message.id === this.task?.id) {
          if (message.type === 'done') this.settle(worker)?.resolve(message.result);
          else this.settle(worker)?.reject(revive(message.error));
        }
      });
      // An uncaught error ends the worker: 'exit' follows and fails its task.
      worker.on('error', () => undefined);
      worker.once('exit', (code) => {
        const error = this.stopped ? new PoolStoppedError() : new Error(`face worker exited (code ${code})`);
        reject(error);
        this.settle(worker)?.reject(error);
        if (this.worker === worker) this.forget();
      });
    });
  }

  /** Ends a worker that can no longer be trusted; the next task starts a new one. */
  private retire(worker: Worker): void {
    if (this.worker === worker) this.forget();
    void worker.terminate();
  }

  private forget(): void {
    this.worker = undefined;
    this.started = undefined;
    this.osThreadId = undefined;
  }

  /** Takes the running task off the slot, if that worker is running it. */
  private settle(worker: Worker): RunningTask | undefined {
    const task = this.task;
    if (task?.worker !== worker) return undefined;
    this.task = undefined;
    clearTimeout(task.timer);
    return task;
  }
}

/** utime + stime of a thread of this process, from /proc (clock ticks of 1/100 s). */
function threadCpuSeconds(osThreadId: number): number {
  const fields = readFileSync(`/proc/self/task/${osThreadId}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Reads the CLIs' `--face-workers N` flag: an integer 1-64. */
export function parseFaceWorkers(value: string): number {
  const workers = Number(value);
  if (!/^\d+$/.test(value) || workers < 1 || workers > 64) throw new Error(`--face-workers must be an integer 1-64, got '${value}'`);
  return workers;
}

export async function startFaceEnginePool(options: FaceEnginePoolOptions = {}): Promise<FaceEnginePool> {
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new Error(`workers must be an integer 1..64, got ${workers}`);
  const calibration = readCalibration(options.engine?.calibrationFile);
  const spec: WorkerSpec = {
    engineModule: (options.engineModule ?? ENGINE_MODULE).href,
    engineOptions: options.engineModule ? (options.engineModuleOptions ?? {}) : { ...options.engine, threads: 1 },
  };
  const slots = Array.from({ length: workers }, () => new WorkerSlot(spec, options.taskTimeoutMs ?? 30_000));
  let modelVersion: string;
  try {
    // Every engine loads before the pool serves: a model that fails its check stops the start, as createFaceEngine does.
    [modelVersion] = (await Promise.all(slots.map((slot) => slot.ready()))) as [string];
  } catch (error) {
    await Promise.all(slots.map((slot) => slot.terminate()));
    throw error;
  }
  const scheduler = new LaneScheduler<Submitted, unknown>({
    workers,
    run: (worker, submitted) => slots[worker]!.run(submitted),
    maxInteractiveWaitMs: options.maxInteractiveWaitMs ?? 1000,
    initialServiceMs: INITIAL_SERVICE_MS,
  });

  const view = (lane: Lane): FaceEngine => {
    const submit = <T>(build: (transfer: ArrayBuffer[]) => FaceJob, rank?: number) => {
      const transfer: ArrayBuffer[] = [];
      const job = build(transfer);
      return scheduler.submit(lane, { job, transfer }, rank) as Promise<T>;
    };
    return {
      modelVersion,
      analyse: (image) => submit((transfer) => ({ op: 'analyse', image: wireImage(image, transfer) })),
      similarity: (a, b) => similarityFromCosine(cosine(a, b), calibration),
      liveProbability: (image, face) => submit((transfer) => ({ op: 'liveProbability', image: wireImage(image, transfer), face })),
      scanFrame: (image, { describeSingleFace, rank }) =>
        submit((transfer) => ({ op: 'scanFrame', image: { ...image, data: ownCopy(image.data, transfer) }, describeSingleFace }), rank),
    };
  };

  return {
    interactive: view('interactive'),
    liveness: view('liveness'),
    workers,
    cpuSeconds: () => {
      const threads = slots.map((slot) => slot.osThreadId);
      if (threads.some((id) => id === undefined)) return undefined;
      return threads.reduce((sum: number, id) => sum + threadCpuSeconds(id!), 0);
    },
    close: async () => {
      scheduler.stop();
      await Promise.all(slots.map((slot) => slot.terminate()));
    },
  };
}

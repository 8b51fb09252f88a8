/**
 * The face pool's queue. Tasks wait in lanes, and a free worker always takes the next task of the first lane that
 * has one: an interactive image call (CompareFaces, SearchFacesByImage, IndexFaces, DetectFaces) never waits behind
 * liveness video frames, which only fill the workers' spare time.
 *
 * Admission: when no worker is free, an interactive task whose estimated wait (the interactive tasks ahead of it and
 * itself, times their recent mean service time, shared by the workers) exceeds `maxInteractiveWaitMs` is refused at
 * once with ThrottlingException, which the SDK retries with backoff; the caller never waits longer than it can.
 * Liveness frames are never refused: the stream server caps the streams, and a refused frame would fail a session.
 *
 * Within a lane, a task with a lower rank goes first, then the older: the stream server ranks its frames by the order
 * in which the streams' videos began, so that in a burst the sessions end one after another as they started, rather
 * than all sharing the workers and all ending late (and all calling for the verify step at once).
 */
import { AwsError } from '../../aws/errors';

/** In priority order: a worker serves the first lane with a waiting task. */
export const LANES = ['interactive', 'liveness'] as const;
export type Lane = (typeof LANES)[number];

export interface LaneSchedulerOptions<Job, Result> {
  /** How many tasks run at once (the workers), numbered 0..workers-1. */
  workers: number;
  /** Runs one job on the given worker; a rejection fails that task only. */
  run: (worker: number, job: Job) => Promise<Result>;
  /** The longest estimated wait an interactive task is admitted with. */
  maxInteractiveWaitMs: number;
  /** The service time assumed for a lane until its tasks have been timed. */
  initialServiceMs: number;
  now?: () => number;
}

interface Waiting<Job, Result> {
  job: Job;
  rank: number;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/** Weight of the newest task in a lane's running mean of service times. */
const SERVICE_TIME_WEIGHT = 0.2;

export class PoolStoppedError extends Error {
  override name = 'PoolStoppedError';
  constructor() {
    super('the face engine pool has stopped');
  }
}

export class LaneScheduler<Job, Result> {
  private readonly waiting: Record<Lane, Waiting<Job, Result>[]> = { interactive: [], liveness: [] };
  private readonly meanServiceMs: Record<Lane, number>;
  /** Free workers; the last freed is reused first, as its caches are warm. */
  private readonly free: number[];
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: LaneSchedulerOptions<Job, Result>) {
    const { workers, maxInteractiveWaitMs, initialServiceMs } = options;
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
    if (!(maxInteractiveWaitMs >= 0)) throw new Error(`maxInteractiveWaitMs must be 0 or more, got ${maxInteractiveWaitMs}`);
    if (!(initialServiceMs > 0)) throw new Error(`initialServiceMs must be positive, got ${initialServiceMs}`);
    this.free = Array.from({ length: workers }, (_, i) => workers - 1 - i);
    this.meanServiceMs = { interactive: initialServiceMs, liveness: initialServiceMs };
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Queues a job in a lane, behind the waiting jobs of the same or a lower rank; an interactive job that would wait
   * too long is refused with ThrottlingException.
   */
  submit(lane: Lane, job: Job, rank = 0): Promise<Result> {
    if (this.stopped) return Promise.reject(new PoolStoppedError());
    if (lane === 'interactive' && this.estimatedInteractiveWaitMs() > this.options.maxInteractiveWaitMs) {
      // As Rekognition answers it (HTTP 500, retried by the SDK); why is for the log, not the caller.
      return Promise.reject(new AwsError('ThrottlingException', 'Rate exceeded', 500));
    }
    return new Promise<Result>((resolve, reject) => {
      const waiting = this.waiting[lane];
      const behind = waiting.findIndex((task) => task.rank > rank);
      waiting.splice(behind < 0 ? waiting.length : behind, 0, { job, rank, resolve, reject });
      this.dispatch();
    });
  }

  /** How long a new interactive task would wait for a worker, by the recent mean service time. */
  estimatedInteractiveWaitMs(): number {
    if (this.free.length > 0) return 0;
    return ((this.waiting.interactive.length + 1) * this.meanServiceMs.interactive) / this.options.workers;
  }

  /** Tasks waiting in each lane (not those running). */
  queued(): Record<Lane, number> {
    return { interactive: this.waiting.interactive.length, liveness: this.waiting.liveness.length };
  }

  /** Takes no more tasks and fails the waiting ones; running tasks end as their workers do. */
  stop(): void {
    this.stopped = true;
    for (const lane of LANES) {
      for (const task of this.waiting[lane].splice(0)) task.reject(new PoolStoppedError());
    }
  }

  private dispatch(): void {
    while (this.free.length > 0) {
      const lane = LANES.find((candidate) => this.waiting[candidate].length > 0);
      if (!lane) return;
      this.start(this.free.pop()!, lane, this.waiting[lane].shift()!);
    }
  }

  private start(worker: number, lane: Lane, task: Waiting<Job, Result>): void {
    const started = this.now();
    const finished = () => {
      const mean = this.meanServiceMs[lane];
      this.meanServiceMs[lane] = mean + SERVICE_TIME_WEIGHT * (this.now() - started - mean);
      this.free.push(worker);
      this.dispatch();
    };
    let running: Promise<Result>;
    try {
      running = this.options.run(worker, task.job);
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (result) => {
        finished();
        task.resolve(result);
      },
      (error: unknown) => {
        finished();
        task.reject(error);
      },
    );
  }
}

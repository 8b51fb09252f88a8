/**
 * Runs Lambda functions from their esbuild bundles, each warm "container" a worker thread with the function's own
 * process.env (template environment + the runtime's variables), its MemorySize as the heap limit, and its Timeout
 * enforced: a timed-out container is terminated and the next invocation gets a fresh one (a cold start), as on
 * Lambda. Up to `maxContainersPerFunction` containers serve concurrent invocations; more wait their turn.
 *
 * Containers are started ahead of need where that is cheap: warm() imports one before the stack is ready, and when an
 * invocation takes a function's last idle container (a warm one) while one more is allowed, the next starts in the
 * background. An invocation that has to wait for its container's import is a cold start: its REPORT line carries
 * `Init Duration`, as on Lambda. A container whose import finished before any invocation needed it prints an
 * `INIT_REPORT ... Status: success` line instead, so every import's cost is in the log once; stats() counts both.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { lambdaContainerThreadName } from '../thread-names';

export interface LambdaFunctionSpec {
  logicalId: string;
  functionName: string;
  functionArn: string;
  /** Absolute path of `dist/functions/<folder>/index.mjs`. */
  bundlePath: string;
  handlerExport: string;
  timeoutSeconds: number;
  memorySizeMb: number;
  /** The complete process.env of the container. */
  environment: Record<string, string>;
}

export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export interface InvocationResult {
  requestId: string;
  /** The handler's result (JSON round-tripped), when it succeeded. */
  payload?: unknown;
  /** Lambda's error payload, when the handler threw, timed out or its container died (`FunctionError: Unhandled`). */
  error?: LambdaErrorPayload;
  /** Everything the invocation wrote, with START/END/REPORT lines, as CloudWatch would show it. */
  logs: string[];
  durationMs: number;
  /** Present when this invocation waited for its container's init phase (a cold start). */
  initDurationMs?: number;
}

/** A function's containers and what their init phases (the bundle's import) have cost. */
export interface ContainerStats {
  /** Containers alive now. */
  containers: number;
  /** Containers started, and how many of them ahead of need (by warm(), or while the others were busy). */
  started: number;
  startedAheadOfNeed: number;
  /** Invocations that waited for their container's init phase. */
  coldStarts: number;
  /** Init phases finished, and their total duration. */
  inits: number;
  initMs: number;
}

export class LambdaInvocationError extends Error {
  override name = 'LambdaInvocationError';
  constructor(
    readonly functionName: string,
    readonly payload: LambdaErrorPayload,
  ) {
    super(`${functionName} failed: ${payload.errorType}: ${payload.errorMessage}`);
  }
}

export interface LambdaRunnerOptions {
  /** Receives every log line with the function's logical id; defaults to printing `[LogicalId] line`. */
  log?: (logicalId: string, line: string) => void;
  maxContainersPerFunction?: number;
  /** Lambda's init phase limit. */
  initTimeoutMs?: number;
}

type WorkerMessage =
  | { type: 'log'; text: string }
  | { type: 'ready'; initDurationMs: number }
  | { type: 'init-error'; error: LambdaErrorPayload }
  | { type: 'result'; requestId: string; payloadJson: string }
  | { type: 'error'; requestId: string; error: LambdaErrorPayload };

const CONTAINER_SCRIPT = new URL('./container.mjs', import.meta.url);

/** One worker thread: initialised once, then one invocation at a time. */
class Container {
  private readonly worker: Worker;
  private readonly initialised: Promise<number>;
  private lineBuffer = '';
  private onLine: (line: string) => void;
  private onMessage: ((message: WorkerMessage) => void) | undefined;
  private onDeath: ((error: LambdaErrorPayload) => void) | undefined;
  dead = false;
  busy = false;
  /** Set once the init phase has finished, before ready() resolves. */
  initDurationMs: number | undefined;
  /** An invocation took this container before its init phase had finished: it reports the init as a cold start. */
  coldInvocation = false;

  constructor(
    private readonly spec: LambdaFunctionSpec,
    log: (line: string) => void,
    initTimeoutMs: number,
  ) {
    this.onLine = log;
    this.worker = new Worker(CONTAINER_SCRIPT, {
      env: spec.environment,
      workerData: {
        bundlePath: spec.bundlePath,
        handlerExport: spec.handlerExport,
        functionName: spec.functionName,
        threadName: lambdaContainerThreadName(spec.logicalId),
        functionArn: spec.functionArn,
        memorySizeMb: spec.memorySizeMb,
        logGroupName: `/aws/lambda/${spec.functionName}`,
        logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      },
      resourceLimits: { maxOldGenerationSizeMb: spec.memorySizeMb },
      stdout: false,
      stderr: false,
    });
    this.initialised = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject({ errorType: 'Runtime.InitTimeout', errorMessage: `init did not finish within ${initTimeoutMs} ms` });
        this.kill();
      }, initTimeoutMs);
      this.onMessage = (message) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          this.initDurationMs = message.initDurationMs;
          resolve(message.initDurationMs);
        } else if (message.type === 'init-error') {
          clearTimeout(timer);
          reject(message.error);
          this.kill();
        }
      };
      this.onDeath = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
    // An init failure is reported to the invocation that waits for it; nobody else must see it unhandled.
    this.initialised.catch(() => undefined);
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'log') this.write(message.text);
      else this.onMessage?.(message);
    });
    this.worker.on('error', (error: Error & { code?: string }) =>
      this.die(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { errorType: 'Runtime.OutOfMemory', errorMessage: `Runtime exited: out of memory (MemorySize ${spec.memorySizeMb} MB)` }
          : { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${error.message}` },
      ),
    );
    this.worker.on('exit', (code) => this.die({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with exit code ${code}` }));
  }

  private write(text: string): void {
    this.lineBuffer += text;
    const lines = this.lineBuffer.split('\n');
    this.lineBuffer = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  private die(error: LambdaErrorPayload): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath?.(error);
  }

  /** Ends the container; an invocation still waiting on it fails as Lambda reports a runtime that went away. */
  kill(): void {
    this.die({ errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited: the container was stopped' });
    void this.worker.terminate();
  }

  ready(): Promise<number> {
    return this.initialised;
  }

  invoke(
    requestId: string,
    event: unknown,
    deadline: number,
    collect: (line: string) => void,
  ): Promise<{ payload: unknown } | { error: LambdaErrorPayload }> {
    const log = this.onLine;
    this.onLine = (line) => {
      collect(line);
      log(line);
    };
    return new Promise<{ payload: unknown } | { error: LambdaErrorPayload }>((resolve) => {
      const finish = (outcome: { payload: unknown } | { error: LambdaErrorPayload }) => {
        clearTimeout(timer);
        if (this.lineBuffer) this.write('\n');
        this.onLine = log;
        this.onMessage = undefined;
        this.onDeath = undefined;
        resolve(outcome);
      };
      const timer = setTimeout(
        () => {
          const seconds = this.spec.timeoutSeconds.toFixed(2);
          finish({
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
            },
          });
          this.kill();
        },
        Math.max(0, deadline - Date.now()),
      );
      this.onMessage = (message) => {
        if (message.type === 'result' && message.requestId === requestId) finish({ payload: JSON.parse(message.payloadJson) });
        else if (message.type === 'error' && message.requestId === requestId) finish({ error: message.error });
      };
      this.onDeath = (error) => finish({ error });
      this.worker.postMessage({ type: 'invoke', requestId, deadline, eventJson: JSON.stringify(event ?? null) });
    });
  }
}

interface FunctionPool {
  spec: LambdaFunctionSpec;
  containers: Container[];
  waiting: Array<() => void>;
  stats: Omit<ContainerStats, 'containers'>;
}

export class LambdaRunner {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly log: (logicalId: string, line: string) => void;
  private readonly maxContainers: number;
  private readonly initTimeoutMs: number;

  constructor(options: LambdaRunnerOptions = {}) {
    this.log = options.log ?? ((logicalId, line) => process.stdout.write(`[${logicalId}] ${line}\n`));
    this.maxContainers = options.maxContainersPerFunction ?? 4;
    this.initTimeoutMs = options.initTimeoutMs ?? 10000;
  }

  register(spec: LambdaFunctionSpec): void {
    if (!existsSync(spec.bundlePath)) {
      throw new Error(`${spec.logicalId}: bundle ${spec.bundlePath} does not exist; run \`npm run build\``);
    }
    if (!Number.isFinite(spec.timeoutSeconds) || spec.timeoutSeconds <= 0) {
      throw new Error(`${spec.logicalId}: timeout must be a positive number of seconds, got ${spec.timeoutSeconds}`);
    }
    for (const container of this.pools.get(spec.logicalId)?.containers ?? []) container.kill();
    this.pools.set(spec.logicalId, {
      spec,
      containers: [],
      waiting: [],
      stats: { started: 0, startedAheadOfNeed: 0, coldStarts: 0, inits: 0, initMs: 0 },
    });
  }

  functions(): LambdaFunctionSpec[] {
    return [...this.pools.values()].map((pool) => pool.spec);
  }

  /**
   * Runs the init phase of an idle container now (starting one if none is idle and one more is allowed), so the next
   * invocation is warm; resolves with its init duration.
   */
  async warm(logicalId: string): Promise<number> {
    const pool = this.pool(logicalId);
    const live = this.live(pool);
    const container =
      live.find((candidate) => !candidate.busy) ?? (live.length < this.maxContainers ? this.addContainer(pool, true) : live[0]!);
    return container.ready().catch((error: LambdaErrorPayload) => {
      throw new LambdaInvocationError(pool.spec.functionName, error);
    });
  }

  stats(logicalId: string): ContainerStats {
    const pool = this.pool(logicalId);
    return { containers: this.live(pool).length, ...pool.stats };
  }

  async invoke(logicalId: string, event: unknown): Promise<InvocationResult> {
    const pool = this.pool(logicalId);
    const container = await this.acquire(pool);
    const requestId = randomUUID();
    const logs: string[] = [];
    const record = (line: string) => {
      logs.push(line);
      this.log(logicalId, line);
    };
    try {
      try {
        await container.ready();
      } catch (error) {
        const payload = error as LambdaErrorPayload;
        record(`INIT_REPORT Phase: init Status: error Error Type: ${payload.errorType}`);
        record(`${payload.errorType}: ${payload.errorMessage}`);
        return { requestId, error: payload, logs, durationMs: 0 };
      }
      const started = performance.now();
      record(`START RequestId: ${requestId} Version: $LATEST`);
      const outcome = await container.invoke(requestId, event, Date.now() + pool.spec.timeoutSeconds * 1000, (line) => logs.push(line));
      const durationMs = performance.now() - started;
      // Only the invocation that waited for the init phase reports it, as Lambda's REPORT line does.
      const reportedInit = container.coldInvocation ? container.initDurationMs : undefined;
      container.coldInvocation = false;
      record(`END RequestId: ${requestId}`);
      record(
        `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
          `Memory Size: ${pool.spec.memorySizeMb} MB` +
          (reportedInit !== undefined ? `\tInit Duration: ${reportedInit.toFixed(2)} ms` : '') +
          ('error' in outcome && outcome.error.errorType === 'Sandbox.Timedout' ? '\tStatus: timeout' : ''),
      );
      return {
        requestId,
        ...outcome,
        logs,
        durationMs,
        ...(reportedInit !== undefined ? { initDurationMs: reportedInit } : {}),
      };
    } finally {
      this.release(pool, container);
    }
  }

  /** Invokes and returns the payload, or throws LambdaInvocationError with Lambda's error payload. */
  async invokeForResult<T>(logicalId: string, event: unknown): Promise<T> {
    const result = await this.invoke(logicalId, event);
    if (result.error) throw new LambdaInvocationError(this.pool(logicalId).spec.functionName, result.error);
    return result.payload as T;
  }

  async stop(): Promise<void> {
    for (const pool of this.pools.values()) for (const container of pool.containers) container.kill();
    this.pools.clear();
  }

  private pool(logicalId: string): FunctionPool {
    const pool = this.pools.get(logicalId);
    if (!pool) {
      throw new Error(`no function ${logicalId} in the local stack (known: ${[...this.pools.keys()].join(', ') || 'none'})`);
    }
    return pool;
  }

  private live(pool: FunctionPool): Container[] {
    pool.containers = pool.containers.filter((container) => !container.dead);
    return pool.containers;
  }

  private addContainer(pool: FunctionPool, aheadOfNeed: boolean): Container {
    const { logicalId } = pool.spec;
    const container = new Container(pool.spec, (line) => this.log(logicalId, line), this.initTimeoutMs);
    pool.containers.push(container);
    pool.stats.started += 1;
    if (aheadOfNeed) pool.stats.startedAheadOfNeed += 1;
    // An invocation that waited for the init phase reports it (coldInvocation is final once the phase has ended).
    container.ready().then(
      (initMs) => {
        pool.stats.inits += 1;
        pool.stats.initMs += initMs;
        if (!container.coldInvocation)
          this.log(logicalId, `INIT_REPORT Init Duration: ${initMs.toFixed(2)} ms\tPhase: init\tStatus: success`);
      },
      (error: LambdaErrorPayload) => {
        if (!container.coldInvocation) this.log(logicalId, `INIT_REPORT Phase: init Status: error Error Type: ${error.errorType}`);
      },
    );
    return container;
  }

  private async acquire(pool: FunctionPool): Promise<Container> {
    for (;;) {
      const live = this.live(pool);
      const idle = live.find((container) => !container.busy);
      const container = idle ?? (live.length < this.maxContainers ? this.addContainer(pool, false) : undefined);
      if (container) {
        container.busy = true;
        if (container.initDurationMs === undefined) {
          container.coldInvocation = true;
          pool.stats.coldStarts += 1;
        } else if (live.every((other) => other.busy) && live.length < this.maxContainers) {
          // A warm container taken, none left idle: the next one imports now rather than when an invocation waits.
          this.addContainer(pool, true);
        }
        return container;
      }
      await new Promise<void>((resolve) => pool.waiting.push(resolve));
    }
  }

  private release(pool: FunctionPool, container: Container): void {
    container.busy = false;
    pool.waiting.shift()?.();
  }
}

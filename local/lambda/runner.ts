/**
 * Runs Lambda functions from their esbuild bundles, each warm "container" a worker thread with the function's own
 * process.env (template environment + the runtime's variables), its MemorySize as the heap limit, and its Timeout
 * enforced: a timed-out container is terminated and the next invocation gets a fresh one (a cold start), as on
 * Lambda. Up to `maxContainersPerFunction` containers serve concurrent invocations; more wait their turn.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

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
  initDurationMs?: number;
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
  /** Init duration is reported on the first invocation only, as Lambda's REPORT line does. */
  pendingInitDurationMs: number | undefined;

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
          this.pendingInitDurationMs = message.initDurationMs;
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
    this.pools.set(spec.logicalId, { spec, containers: [], waiting: [] });
  }

  functions(): LambdaFunctionSpec[] {
    return [...this.pools.values()].map((pool) => pool.spec);
  }

  /** Starts one container and runs the init phase now, so the first real invocation is warm. */
  async warm(logicalId: string): Promise<number> {
    const pool = this.pool(logicalId);
    const container = pool.containers.find((candidate) => !candidate.dead) ?? this.addContainer(pool);
    return container.ready().catch((error: LambdaErrorPayload) => {
      throw new LambdaInvocationError(pool.spec.functionName, error);
    });
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
      const reportedInit = container.pendingInitDurationMs;
      container.pendingInitDurationMs = undefined;
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

  private addContainer(pool: FunctionPool): Container {
    const container = new Container(pool.spec, (line) => this.log(pool.spec.logicalId, line), this.initTimeoutMs);
    pool.containers.push(container);
    return container;
  }

  private async acquire(pool: FunctionPool): Promise<Container> {
    for (;;) {
      pool.containers = pool.containers.filter((container) => !container.dead);
      const idle = pool.containers.find((container) => !container.busy);
      const container = idle ?? (pool.containers.length < this.maxContainers ? this.addContainer(pool) : undefined);
      if (container) {
        container.busy = true;
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

/**
 * The names the stack's worker threads give themselves (Linux: the thread's comm, at most 15 bytes), so that per-thread
 * CPU in /proc/<pid>/task/<tid>/stat, `top -H` and bench:stack can tell a face worker from a Lambda container and from
 * the main event loop. Threads no one names keep the name of the thread that started them (`node` for V8's platform
 * threads, libuv's threadpool and the workers before they name themselves); libvips names its own (`libvips worker`).
 */
import { writeFileSync } from 'node:fs';

/** A face engine pool worker (local/rekognition/engine-pool/face-worker.ts). */
export const FACE_WORKER_THREAD_NAME = 'face-worker';

/** The start of every Lambda container's name (local/lambda/container.mjs). */
export const LAMBDA_CONTAINER_THREAD_PREFIX = 'fn:';

/**
 * A Lambda container's name: the prefix and the function's logical ID less `Function` ("fn:VerifyAuthCh"). Not the
 * function name: it starts with the stack's name, so 15 bytes of it would name every container alike.
 */
export function lambdaContainerThreadName(logicalId: string): string {
  return `${LAMBDA_CONTAINER_THREAD_PREFIX}${logicalId.replace(/Function$/, '')}`.slice(0, 15);
}

/**
 * Names the calling thread. Synchronous on purpose: an asynchronous write would run on, and name, a libuv threadpool
 * thread. Elsewhere than Linux, or where /proc is not writable, the thread keeps its name.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name);
  } catch {
    // Not Linux, or not permitted: the name only helps reading CPU by thread.
  }
}

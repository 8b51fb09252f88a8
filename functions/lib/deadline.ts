/** Bounds the time a piece of work may take, for answers that must arrive in time even when AWS does not. */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Waits `ms`, between the attempts or polls of a step (the deadline's signal still ends the step's next AWS call). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The signal of the deadline the current work runs under, for `send(command, { abortSignal })`. */
export function currentAbortSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/**
 * The result of `work`, or of `onTimeout` (which may throw) if `work` has not settled within `ms`. Work given up on is aborted:
 * every AWS call it makes carries the deadline's signal (see `requestOptions`), so nothing runs on unseen.
 */
export async function withDeadline<T>(work: () => Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(
      () => {
        controller.abort();
        try {
          resolve(onTimeout());
        } catch (error) {
          reject(error);
        }
      },
      Math.max(0, ms),
    );
  });
  const running = scope.run(controller.signal, work);
  // The aborted work rejects after the deadline has answered; that rejection is expected, not unhandled.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

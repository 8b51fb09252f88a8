/**
 * One verdict per challenge. Cognito calls verify again when it did not answer within 5 s; the same answer to the
 * same challenge then gets the first verdict again, with no second consumption and no second lockout count.
 * The check itself holds a place in the lockout window while it runs (./lockout.ts).
 */
import { currentAbortSignal } from './deadline';
import { holdCheckPlace, recordFailedCheck } from './lockout';
import { describeError, logger } from './logger';
import type { TableDeps } from './parts';
import { getVerdict, saveVerdict, type Store, type Verdict } from './store';

/** How often a retried answer looks for the verdict of the run that is still deciding. */
const VERDICT_POLL_MS = 200;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the verdict another run is writing, until the invocation's deadline gives up. */
async function awaitVerdict(store: Store, sub: string, challengeId: string): Promise<Verdict | undefined> {
  const signal = currentAbortSignal();
  while (!signal?.aborted) {
    await pause(VERDICT_POLL_MS);
    const verdict = await getVerdict(store, sub, challengeId);
    if (verdict) return verdict;
    if (!signal) return undefined;
  }
  return undefined;
}

/**
 * The verdict on one challenge. `decide` returns undefined when it finds the challenge already taken by another
 * run (a consumed liveness session): that run's verdict is awaited. The run whose verdict is written first
 * counts the failure toward lockout, once.
 */
export async function verdictOnce(
  deps: TableDeps,
  sub: string,
  challengeId: string,
  nowMs: number,
  decide: () => Promise<Verdict | undefined>,
): Promise<Verdict> {
  const { store } = deps;
  const earlier = await getVerdict(store, sub, challengeId);
  if (earlier) return earlier;
  const release = await holdCheckPlace(deps, sub, nowMs);
  if (!release) return { passed: false, counted: false };
  try {
    const verdict = await decide();
    if (!verdict) return (await awaitVerdict(store, sub, challengeId)) ?? { passed: false, counted: false };
    if (!(await saveVerdict(store, sub, challengeId, verdict, nowMs))) return (await getVerdict(store, sub, challengeId)) ?? verdict;
    if (verdict.counted) await recordFailedCheck(deps, sub, nowMs);
    return verdict;
  } finally {
    // A place left held (its delete failed, or the deadline came first) frees itself when the window passes it.
    await release().catch((error: unknown) => logger.warn('check place not released', { sub, ...describeError(error) }));
  }
}

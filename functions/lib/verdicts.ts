/**
 * One verdict per challenge. Cognito calls verify again when it did not answer within 5 s; the same answer to the
 * same challenge then gets the first verdict again, with no second consumption and no second lockout count.
 * The check itself holds a place in the lockout window while it runs (./lockout.ts).
 */
import { currentAbortSignal, pause } from './deadline';
import { checkPlaceHolder, type HoldCheckPlace, recordFailedCheck } from './lockout';
import type { TableDeps } from './parts';
import { getVerdict, saveVerdict, type Store, type Verdict } from './store';

/** How often a retried answer looks for the verdict of the run that is still deciding. */
const VERDICT_POLL_MS = 200;

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
 * The verdict on one challenge. `decide` calls `holdPlace` right before the check itself, after anything that tells
 * a retry from the first run (a liveness session is consumed first), so that a retry awaiting the first run's verdict
 * takes no place. `decide` returns undefined when it finds the challenge already taken by another run: that run's
 * verdict is awaited. The run whose verdict is written first counts the failure toward lockout, once, before its
 * place is released.
 */
export async function verdictOnce(
  deps: TableDeps,
  sub: string,
  challengeId: string,
  nowMs: number,
  decide: (holdPlace: HoldCheckPlace) => Promise<Verdict | undefined>,
): Promise<Verdict> {
  const { store } = deps;
  const earlier = await getVerdict(store, sub, challengeId);
  if (earlier) return earlier;
  const place = checkPlaceHolder(deps, sub, nowMs);
  try {
    const verdict = await decide(place.hold);
    if (!verdict) return (await awaitVerdict(store, sub, challengeId)) ?? { passed: false, counted: false };
    if (!(await saveVerdict(store, sub, challengeId, verdict, nowMs))) return (await getVerdict(store, sub, challengeId)) ?? verdict;
    if (verdict.counted) await recordFailedCheck(deps, sub, nowMs);
    return verdict;
  } finally {
    await place.release();
  }
}

/**
 * Lockout across auth sessions: LOCKOUT_FAILURES failed checks within LOCKOUT_WINDOW_SECONDS lock the user for
 * LOCKOUT_MINUTES, as AWS's Face Liveness guidance recommends against repeated spoofing attempts, and
 * LOCKOUT_DAILY_FAILURES within a day lock them for a day, so that attempts paced under the window are capped too.
 * Only failed face checks that reached Rekognition and wrong email codes are counted, so nobody can lock a user
 * with plain wrong strings; and nothing is written while a user is locked, so a lock is never extended by more
 * attempts. A check holds a place in the window while it runs, so answers sent at once cannot all be checked.
 */
import { describeError, logger } from './logger';
import { countVerdict } from './metrics';
import type { TableDeps } from './parts';
import { FAILURE_RETENTION_SECONDS, getLockedUntil, holdCheck, recordFailure, releaseCheck, saveLockout, type Store } from './store';

export async function isLockedOut(store: Store, sub: string, nowMs: number): Promise<boolean> {
  const lockedUntil = await getLockedUntil(store, sub);
  return lockedUntil !== undefined && lockedUntil * 1000 > nowMs;
}

/**
 * Counts one failed check; locks the user when it reaches a limit. Nothing is written while a lock is in force: one
 * may have come while the check ran (another answer's failure), or the check started locked (a replacement photo).
 */
export async function recordFailedCheck({ config, store }: TableDeps, sub: string, nowMs: number): Promise<void> {
  if (await isLockedOut(store, sub, nowMs)) return;
  const { lockoutFailures, lockoutWindowSeconds, lockoutMinutes, lockoutDailyFailures } = config;
  const { inWindow, inDay } = await recordFailure(store, sub, nowMs, lockoutWindowSeconds);
  // The longer of the limits reached: LOCKOUT_MINUTES may be set above a day.
  const lockSeconds = Math.max(
    inDay >= lockoutDailyFailures ? FAILURE_RETENTION_SECONDS : 0,
    inWindow >= lockoutFailures ? lockoutMinutes * 60 : 0,
  );
  if (lockSeconds > 0 && (await saveLockout(store, sub, nowMs + lockSeconds * 1000, nowMs))) {
    logger.warn('user locked out', { sub, failures: inWindow, failuresToday: inDay, lockoutMinutes: lockSeconds / 60 });
    countVerdict('Lockout');
  }
}

/**
 * Holds a place among the window's LOCKOUT_FAILURES while a check runs: a check counts as a failure until it is
 * shown otherwise. Without it, answers sent at once from many auth sessions (three guesses each) all passed the
 * lock check before the first failure was counted. Returns the release, or undefined
 * when the places are taken: the answer is then refused unchecked.
 */
async function holdCheckPlace({ config, store }: TableDeps, sub: string, nowMs: number): Promise<(() => Promise<void>) | undefined> {
  const { sk, held, heldToday } = await holdCheck(store, sub, nowMs, config.lockoutWindowSeconds);
  const release = () => releaseCheck(store, sub, sk);
  // The day's limit too: checks sent at once after failures paced under the window would otherwise pass it.
  if (held <= config.lockoutFailures && heldToday <= config.lockoutDailyFailures) return release;
  await release();
  logger.info('answer refused unchecked: the window or the day holds as many failures and checks as the lockout allows', {
    sub,
    held,
    heldToday,
  });
  return undefined;
}

/**
 * Holds a place in the lockout window for the check about to run; false when the places are taken, and the check is
 * then refused unchecked.
 */
export type HoldCheckPlace = () => Promise<boolean>;

/**
 * A check place held on demand (`hold`, right before the check) and its `release`, a no-op when none was held. The
 * caller releases only after it has recorded the check's failure, so that no other check takes the place meanwhile.
 */
export function checkPlaceHolder(deps: TableDeps, sub: string, nowMs: number): { hold: HoldCheckPlace; release: () => Promise<void> } {
  let held: (() => Promise<void>) | undefined;
  return {
    hold: async () => {
      held = await holdCheckPlace(deps, sub, nowMs);
      return held !== undefined;
    },
    // A place left held (its delete failed, or the deadline came first) frees itself when the window passes it.
    release: async () => {
      await held?.().catch((error: unknown) => logger.warn('check place not released', { sub, ...describeError(error) }));
    },
  };
}

/**
 * Lockout across auth sessions: LOCKOUT_FAILURES failed checks within LOCKOUT_WINDOW_SECONDS lock the user for
 * LOCKOUT_MINUTES, as AWS's Face Liveness guidance recommends against repeated spoofing attempts. Only failed
 * face checks that reached Rekognition and wrong email codes are counted, so nobody can lock a user with plain
 * wrong strings; and nothing is written while a user is locked, so a lock is never extended by more attempts.
 */
import { logger } from './logger';
import { countVerdict } from './metrics';
import type { TableDeps } from './parts';
import { getLockedUntil, recordFailure, saveLockout, type Store } from './store';

export async function isLockedOut(store: Store, sub: string, nowMs: number): Promise<boolean> {
  const lockedUntil = await getLockedUntil(store, sub);
  return lockedUntil !== undefined && lockedUntil * 1000 > nowMs;
}

/** Counts one failed check; locks the user when it reaches the limit (unless a lock is already in force). */
export async function recordFailedCheck({ config, store }: TableDeps, sub: string, nowMs: number): Promise<void> {
  const { lockoutFailures, lockoutWindowSeconds, lockoutMinutes } = config;
  const failures = await recordFailure(store, sub, nowMs, lockoutWindowSeconds);
  if (failures >= lockoutFailures && (await saveLockout(store, sub, nowMs + lockoutMinutes * 60_000, nowMs))) {
    logger.warn('user locked out', { sub, failures, lockoutMinutes });
    countVerdict('Lockout');
  }
}

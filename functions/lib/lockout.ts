/**
 * Lockout across auth sessions: LOCKOUT_FAILURES failed checks within LOCKOUT_WINDOW_SECONDS lock the user for
 * LOCKOUT_MINUTES, as AWS's Face Liveness guidance recommends against repeated spoofing attempts.
 */
import { config } from './config';
import { logger } from './logger';
import { getLockedUntil, recordFailure, saveLockout } from './store';

export async function isLockedOut(sub: string, nowMs = Date.now()): Promise<boolean> {
  const lockedUntil = await getLockedUntil(sub);
  return lockedUntil !== undefined && lockedUntil * 1000 > nowMs;
}

/** Counts one failed check; locks the user when it reaches the limit. */
export async function recordFailedCheck(sub: string, nowMs = Date.now()): Promise<void> {
  const { lockoutFailures, lockoutWindowSeconds, lockoutMinutes } = config();
  const failures = await recordFailure(sub, nowMs, lockoutWindowSeconds);
  if (failures >= lockoutFailures) {
    await saveLockout(sub, nowMs + lockoutMinutes * 60_000);
    logger.warn('user locked out', { sub, failures, lockoutMinutes });
  }
}

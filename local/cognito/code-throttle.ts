/**
 * Cognito's limits on sign-up codes, per username: 5 wrong ConfirmSignUp codes within the window lock
 * confirmation until the window has passed (a resent code does not reset the count), and at most 5 resent codes
 * within the window. Kept in memory (a restart forgets it), keyed by the lower-cased name whether or not a user
 * has it, so the limits behave the same for unknown names and leak nothing.
 */
import type { Clock } from '../aws/clock';

export const CODE_THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_CODE_FAILURES = 5;
export const MAX_CODE_RESENDS = 5;

interface Attempts {
  failures: number[];
  resends: number[];
}

export class CodeThrottle {
  private readonly attempts = new Map<string, Attempts>();

  constructor(private readonly now: Clock) {}

  /** Whether confirmation is locked for `name` (5 failures within the window). */
  locked(name: string): boolean {
    return this.recent(name).failures.length >= MAX_CODE_FAILURES;
  }

  /** Counts a wrong code; returns whether this failure locked confirmation. */
  recordFailure(name: string): boolean {
    const attempts = this.recent(name);
    attempts.failures.push(this.now());
    return attempts.failures.length >= MAX_CODE_FAILURES;
  }

  /** Counts a resend if one is still allowed within the window; false when the limit is reached. */
  allowResend(name: string): boolean {
    const attempts = this.recent(name);
    if (attempts.resends.length >= MAX_CODE_RESENDS) return false;
    attempts.resends.push(this.now());
    return true;
  }

  /** The attempts within the window, older ones dropped (and names with none forgotten). */
  private recent(name: string): Attempts {
    const key = name.toLowerCase();
    const since = this.now() - CODE_THROTTLE_WINDOW_MS;
    for (const [other, entry] of this.attempts) {
      entry.failures = entry.failures.filter((at) => at > since);
      entry.resends = entry.resends.filter((at) => at > since);
      if (entry.failures.length === 0 && entry.resends.length === 0 && other !== key) this.attempts.delete(other);
    }
    let entry = this.attempts.get(key);
    if (!entry) {
      entry = { failures: [], resends: [] };
      this.attempts.set(key, entry);
    }
    return entry;
  }
}

/**
 * Unknown usernames walk the path of an enrolled user under a pseudo-identity: a UUID derived from the username
 * with a secret key, so the same unknown email always gets the same lockout state, and nobody without the key can
 * link a pseudo-identity to an email.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from './parts';
import { getOrCreatePseudonymKey, type Store } from './store';

/** A stable UUID (version 4 layout) for a username that matched no user, under `key`. */
export function pseudoSubOf(key: Buffer, userName: string): string {
  const digest = createHmac('sha256', key).update(`unknown-user:${userName.trim().toLowerCase()}`).digest();
  digest[6] = (digest[6]! & 0x0f) | 0x40;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The table's secret key, read (or made) once per handler, that is once per container. */
export class Pseudonyms {
  private cachedKey: Promise<Buffer> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The secret key; a failed read is retried by the next call. */
  key(): Promise<Buffer> {
    this.cachedKey ??= getOrCreatePseudonymKey(this.store, this.clock.now()).catch((error: unknown) => {
      this.cachedKey = undefined;
      throw error;
    });
    return this.cachedKey;
  }

  /** The pseudo-identity of a username that matched no user. */
  async sub(userName: string): Promise<string> {
    return pseudoSubOf(await this.key(), userName);
  }
}

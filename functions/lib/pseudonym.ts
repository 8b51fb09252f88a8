/**
 * Unknown usernames walk the path of an enrolled user under a pseudo-identity: a UUID derived from the username
 * with a secret key, so the same unknown email always gets the same lockout state, and nobody without the key can
 * link a pseudo-identity to an email.
 */
import { createHmac } from 'node:crypto';
import { getOrCreatePseudonymKey } from './store';

let cachedKey: Promise<Buffer> | undefined;

/** The secret key, read (or made) once per container; a failed read is retried by the next call. */
export function pseudonymKey(): Promise<Buffer> {
  cachedKey ??= getOrCreatePseudonymKey().catch((error: unknown) => {
    cachedKey = undefined;
    throw error;
  });
  return cachedKey;
}

/** A stable UUID (version 4 layout) for a username that matched no user. */
export async function pseudoSub(userName: string): Promise<string> {
  const digest = createHmac('sha256', await pseudonymKey())
    .update(`unknown-user:${userName.trim().toLowerCase()}`)
    .digest();
  digest[6] = (digest[6]! & 0x0f) | 0x40;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

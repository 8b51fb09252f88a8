/**
 * Sweep deleted users (daily schedule by default): a user deleted in the console, or by their own DeleteUser
 * call, leaves faces, photos and items behind that no trigger sees. This purges the data of every sub the pool
 * no longer has (functions/lib/sweep.ts), and the faces and pinned photos of users in the pool that no record names
 * (functions/lib/strays.ts). Idempotent: what one run cannot finish, the next one does.
 */
import { logger } from '../lib/logger';
import type { UserPoolParts } from '../lib/parts';
import { sweepDeletedUsers } from '../lib/sweep';
import { withErrorPolicy } from '../lib/trigger';

/** The function's Timeout is 900 s; the sweep stops a little before, and the next run goes on. */
const SWEEP_BUDGET_MS = 880_000;

export function makeHandler({ config, clients, clock, userPoolId }: UserPoolParts) {
  const { tableName, bucketName, collectionId } = config;

  async function sweep() {
    // Read per run: the clients are made on first use, not at the cold start's import.
    const report = await sweepDeletedUsers({ ...clients, tableName, bucketName, collectionId, userPoolId }, clock);
    // Counts only: never a sub, key or image of anyone.
    logger.info('data of deleted users and stray face data purged', { ...report });
    return report;
  }

  return withErrorPolicy(sweep, SWEEP_BUDGET_MS);
}

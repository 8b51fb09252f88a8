/**
 * Expire enrollments (hourly schedule): a provisional enrollment that no live match confirmed within
 * PROVISIONAL_ENROLLMENT_HOURS stops counting at once (getCurrentEnrollment), and this sweep removes what is left
 * of it: the record, the face in the collection and the pinned photo. Its upload's decision is revoked, so a
 * redelivered S3 event cannot bring it back. Idempotent; a user who confirms meanwhile keeps everything (the
 * removal is conditional on the exact provisional face).
 */
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { requestOptions } from '../lib/aws-clients';
import { removeExpiredProvisionalEnrollment } from '../lib/enrollment';
import { logger } from '../lib/logger';
import type { Parts } from '../lib/parts';
import { Store } from '../lib/store';
import { withErrorPolicy } from '../lib/trigger';

/** The function's Timeout is 300 s; the sweep stops a little before, and the next run goes on. */
const SWEEP_BUDGET_MS = 280_000;

export function makeHandler({ config, clients, clock }: Parts<'dynamo' | 'rekognition' | 's3'>) {
  const deps = { config, clients, store: new Store(clients, config.tableName) };

  async function expireEnrollments(): Promise<{ removed: number }> {
    const nowMs = clock.now();
    let removed = 0;
    const pages = paginateScan(
      { client: clients.dynamo },
      {
        TableName: config.tableName,
        FilterExpression: 'sk = :active AND #state = :provisional AND provisionalUntil <= :now',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':active': 'ACTIVE_ENROLLMENT', ':provisional': 'PROVISIONAL', ':now': Math.floor(nowMs / 1000) },
      },
      requestOptions(),
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const sub = String(item.pk).slice('USER#'.length);
        const enrollment = { key: String(item.key), faceId: String(item.faceId), photoKey: String(item.photoKey) };
        if (await removeExpiredProvisionalEnrollment(deps, sub, enrollment, nowMs)) removed += 1;
      }
    }
    logger.info('expired provisional enrollments removed', { removed });
    return { removed };
  }

  return withErrorPolicy(expireEnrollments, SWEEP_BUDGET_MS);
}

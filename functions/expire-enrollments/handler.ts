/**
 * Expire enrollments (hourly schedule): a provisional enrollment that no live match confirmed within
 * PROVISIONAL_ENROLLMENT_HOURS stops counting at once (getCurrentEnrollment), and this sweep removes what is left
 * of it: the record, the face in the collection and the pinned photo. Its upload's decision is revoked, so a
 * redelivered S3 event cannot bring it back. Idempotent; a user who confirms meanwhile keeps everything (the
 * removal is conditional on the exact provisional face).
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, requestOptions } from '../lib/aws-clients';
import { config } from '../lib/config';
import { removeExpiredProvisionalEnrollment } from '../lib/enrollment';
import { logger } from '../lib/logger';
import { withErrorPolicy } from '../lib/trigger';

config();

/** The function's Timeout is 300 s; the sweep stops a little before, and the next run goes on. */
const SWEEP_BUDGET_MS = 280_000;

async function expireEnrollments(): Promise<{ removed: number }> {
  const { tableName } = config();
  const nowMs = Date.now();
  let removed = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :active AND #state = :provisional AND provisionalUntil <= :now',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':active': 'ACTIVE_ENROLLMENT', ':provisional': 'PROVISIONAL', ':now': Math.floor(nowMs / 1000) },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
      requestOptions(),
    );
    for (const item of page.Items ?? []) {
      const sub = String(item.pk).slice('USER#'.length);
      const enrollment = { key: String(item.key), faceId: String(item.faceId), photoKey: String(item.photoKey) };
      if (await removeExpiredProvisionalEnrollment(sub, enrollment, nowMs)) removed += 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  logger.info('expired provisional enrollments removed', { removed });
  return { removed };
}

export const handler = withErrorPolicy(expireEnrollments, SWEEP_BUDGET_MS);

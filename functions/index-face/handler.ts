/**
 * Index face: S3 ObjectCreated events on `enrollment/`. The owner comes from the key only (never from object
 * metadata). Refused records are logged and skipped; transient AWS errors are thrown so S3 redelivers.
 */
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { config } from '../lib/config';
import { indexEnrollment, PhotoMissingError } from '../lib/enrollment';
import { decodeS3EventKey, parseEnrollmentKey } from '../lib/enrollment-key';
import { logEvent, logger } from '../lib/logger';

const { bucketName } = config();

function keyOf(record: S3EventRecord): string | undefined {
  try {
    return decodeS3EventKey(record.s3.object.key);
  } catch {
    return undefined;
  }
}

async function processRecord(record: S3EventRecord): Promise<void> {
  const refuse = (why: string) => logger.warn('S3 record refused', { why, bucket: record.s3?.bucket?.name, key: record.s3?.object?.key });
  if (!record.eventName?.startsWith('ObjectCreated:')) return refuse('not an ObjectCreated event');
  if (record.s3.bucket.name !== bucketName) return refuse('not our bucket');
  const key = keyOf(record);
  if (!key) return refuse('key is not valid URL encoding');
  const parsed = parseEnrollmentKey(key);
  if (!parsed) return refuse('not an enrollment/<sub>/<uuid>.<jpg|png> key');
  try {
    await indexEnrollment(parsed.sub, key, parsed.contentType);
  } catch (error) {
    if (error instanceof PhotoMissingError) return refuse('object no longer exists');
    throw error;
  }
}

export const handler = async (event: S3Event): Promise<void> => {
  logEvent(event);
  for (const record of event.Records ?? []) await processRecord(record);
};

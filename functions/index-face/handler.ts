/**
 * Index face: S3 ObjectCreated events on `enrollment/`. The owner comes from the key only (never from object
 * metadata), and only a key create issued to that owner is decided. Refused records are logged and skipped;
 * transient AWS errors are thrown so S3 redelivers.
 */
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { requestOptions } from '../lib/aws-clients';
import { indexEnrollment, KeyNotIssuedError, PhotoMissingError } from '../lib/enrollment';
import { decodeS3EventKey, parseEnrollmentKey } from '../lib/enrollment-key';
import { logger } from '../lib/logger';
import type { Parts } from '../lib/parts';
import { Store } from '../lib/store';
import { withErrorPolicy } from '../lib/trigger';

/** The function's Timeout is 30 s; the work stops a little before, so its failure is logged, not cut off. */
const INDEX_BUDGET_MS = 27_000;

function keyOf(record: S3EventRecord): string | undefined {
  try {
    return decodeS3EventKey(record.s3.object.key);
  } catch {
    return undefined;
  }
}

export function makeHandler({ config, clients, clock }: Parts<'dynamo' | 'rekognition' | 's3' | 'textract'>) {
  const deps = { config, clients, clock, store: new Store(clients, config.tableName) };
  const { bucketName } = config;

  async function processRecord(record: S3EventRecord): Promise<void> {
    const refuse = (why: string) => logger.warn('S3 record refused', { why, bucket: record.s3?.bucket?.name, key: record.s3?.object?.key });
    if (!record.eventName?.startsWith('ObjectCreated:')) return refuse('not an ObjectCreated event');
    if (record.s3.bucket.name !== bucketName) return refuse('not our bucket');
    const key = keyOf(record);
    if (!key) return refuse('key is not valid URL encoding');
    const parsed = parseEnrollmentKey(key);
    if (!parsed) return refuse('not an enrollment/<sub>/<uuid>.jpg key');
    try {
      // The claim on the upload's decision lasts as long as this run may.
      await indexEnrollment(deps, parsed.sub, key, clock.now(), { forMs: INDEX_BUDGET_MS });
    } catch (error) {
      if (error instanceof PhotoMissingError) return refuse('object no longer exists');
      if (error instanceof KeyNotIssuedError) {
        // Nobody may decide on it, and nothing else reads it: it goes.
        await clients.s3.send(new DeleteObjectCommand({ Bucket: bucketName, Key: key }), requestOptions());
        return refuse('key was not issued');
      }
      throw error;
    }
  }

  async function indexUploads(event: S3Event): Promise<void> {
    for (const record of event.Records ?? []) await processRecord(record);
  }

  return withErrorPolicy(indexUploads, INDEX_BUDGET_MS);
}

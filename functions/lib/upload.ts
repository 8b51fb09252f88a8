/**
 * The presigned S3 POST for an ID photo. The server chooses the key and records it as issued to this user; the
 * policy pins that key, the JPEG content type and the size range, and lives about 2 minutes, so the upload
 * cannot land anywhere else, be anything else, or be held for later.
 */
import { randomUUID } from 'node:crypto';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { ENROLLMENT_CONTENT_TYPE, enrollmentKey } from './enrollment-key';
import { pause } from './deadline';
import type { Clock, Deps, TableDeps } from './parts';
import { DECISION_POLL_MS, isDecidingAnUpload, recordIssuedUpload, type Replacement } from './store';

export interface EnrollmentUpload {
  key: string;
  url: string;
  fields: Record<string, string>;
}

export async function issueEnrollmentUpload(
  { config, clients, store }: Deps<'s3'>,
  sub: string,
  nowMs: number,
  replacement?: Replacement,
): Promise<EnrollmentUpload> {
  const { bucketName, enrollmentMaxBytes, uploadUrlTtlSeconds } = config;
  const key = enrollmentKey(sub, randomUUID());
  await recordIssuedUpload(store, sub, key, nowMs, replacement);
  const { url, fields } = await createPresignedPost(clients.s3, {
    Bucket: bucketName,
    Key: key,
    Conditions: [
      ['eq', '$key', key],
      ['eq', '$Content-Type', ENROLLMENT_CONTENT_TYPE],
      ['content-length-range', 1, enrollmentMaxBytes],
    ],
    Fields: { 'Content-Type': ENROLLMENT_CONTENT_TYPE },
    Expires: uploadUrlTtlSeconds,
  });
  return { key, url, fields };
}

/**
 * Waits while a run decides one of the user's uploads, for at most `maxMs`. Verify gives up on a photo after 4 s, and
 * the S3 event's run may accept it moments later: create waits for that before it offers a second upload, which would
 * be refused as ALREADY_ENROLLED by then.
 */
export async function awaitUploadDecisions(deps: TableDeps & { clock: Clock }, sub: string, maxMs: number): Promise<void> {
  for (let waitedMs = 0; waitedMs < maxMs && (await isDecidingAnUpload(deps.store, sub, deps.clock.now())); waitedMs += DECISION_POLL_MS) {
    await pause(DECISION_POLL_MS);
  }
}

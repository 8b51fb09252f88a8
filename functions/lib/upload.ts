/**
 * The presigned S3 POST for an ID photo. The server chooses the key and records it as issued to this user; the
 * policy pins that key, the JPEG content type and the size range, and lives about 2 minutes, so the upload
 * cannot land anywhere else, be anything else, or be held for later.
 */
import { randomUUID } from 'node:crypto';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { ENROLLMENT_CONTENT_TYPE, enrollmentKey } from './enrollment-key';
import type { Deps } from './parts';
import { recordIssuedUpload, type Replacement } from './store';

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

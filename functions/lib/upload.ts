/**
 * The presigned S3 POST for an ID photo. The server chooses the key; the policy pins that key, one content
 * type and the size range, so the upload cannot land anywhere else or be anything else.
 */
import { randomUUID } from 'node:crypto';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { s3 } from './aws-clients';
import { config } from './config';
import { enrollmentKey, type ImageContentType, IMAGE_CONTENT_TYPES } from './enrollment-key';

export class UploadRequestError extends Error {
  override name = 'UploadRequestError';
}

/**
 * The content type to pin. The client may only choose between the two allowed values (a hint, it decides no
 * security question); without a hint the upload must be JPEG.
 */
export function chooseContentType(hint: string | undefined): ImageContentType {
  if (hint === undefined) return 'image/jpeg';
  if ((IMAGE_CONTENT_TYPES as readonly string[]).includes(hint)) return hint as ImageContentType;
  throw new UploadRequestError(`clientMetadata.contentType must be one of ${IMAGE_CONTENT_TYPES.join(', ')}`);
}

export interface EnrollmentUpload {
  key: string;
  url: string;
  fields: Record<string, string>;
}

export async function issueEnrollmentUpload(sub: string, contentType: ImageContentType): Promise<EnrollmentUpload> {
  const { bucketName, enrollmentMaxBytes, uploadUrlTtlSeconds } = config();
  const key = enrollmentKey(sub, randomUUID(), contentType);
  const { url, fields } = await createPresignedPost(s3(), {
    Bucket: bucketName,
    Key: key,
    Conditions: [
      ['eq', '$key', key],
      ['eq', '$Content-Type', contentType],
      ['content-length-range', 1, enrollmentMaxBytes],
    ],
    Fields: { 'Content-Type': contentType },
    Expires: uploadUrlTtlSeconds,
  });
  return { key, url, fields };
}

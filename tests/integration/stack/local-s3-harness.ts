/** The local S3 (gate and s3rver) on a free port, and SDK clients for it, as the S3 suites start them. */
import { S3Client } from '@aws-sdk/client-s3';
import { startLocalS3, type LocalBucket, type LocalS3 } from '../../../local/s3/local-s3';
import { freePort, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/template/local-environment';

/** Starts it on `dataDir` with the local identity as the only one whose signatures pass. */
export async function startTestS3(dataDir: string, buckets: LocalBucket[], maxPostBytes?: number): Promise<LocalS3> {
  return startLocalS3({
    port: await freePort(),
    dataDir,
    buckets,
    region: LOCAL_REGION,
    credentials: { [LOCAL_CREDENTIALS.accessKeyId]: LOCAL_CREDENTIALS.secretAccessKey },
    ...(maxPostBytes === undefined ? {} : { maxPostBytes }),
  });
}

/** A path-style client that signs with `credentials` and sends each call once. */
export function s3ClientOf(s3: LocalS3, credentials: { accessKeyId: string; secretAccessKey: string } = LOCAL_CREDENTIALS): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: LOCAL_REGION,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

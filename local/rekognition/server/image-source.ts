/**
 * Turns a request's `Image` ({ Bytes } or { S3Object: { Bucket, Name, Version? } }) into image bytes, with
 * Rekognition's limits: 5 MB of Bytes (a ValidationException, as the API model's length constraint), 15 MB from S3
 * (ImageTooLargeException); Textract's Document has the same shape and passes its own limits. The engine refuses
 * what is not a JPEG or PNG. S3 objects are read through the S3 API of the configured endpoint; any failure to read
 * one is InvalidS3ObjectException, as Rekognition and Textract report it.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AwsError } from '../../aws/errors';
import type { RequestReader } from '../../aws/request-reader';

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_S3_IMAGE_BYTES = 15 * 1024 * 1024;

export interface S3Settings {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export type ImageInput = { bytes: Buffer } | { s3Object: { bucket: string; name: string; version?: string } };

/** Reads `Image`-shaped members (`Image`, `SourceImage`, `TargetImage`) with the model's constraints. */
export function readImage(reader: RequestReader, member: string): ImageInput | undefined {
  const image = reader.structure(member, true);
  return image && imageFrom(image, member, MAX_IMAGE_BYTES);
}

/** An `{ Bytes } | { S3Object }` structure (Rekognition's Image, Textract's Document) with Bytes of at most `maxBytes`. */
export function imageFrom(image: RequestReader, member: string, maxBytes: number): ImageInput {
  const bytes = image.blob('Bytes', { minLength: 1, maxLength: maxBytes });
  const s3 = image.structure('S3Object');
  const s3Object = s3 && {
    bucket: s3.string('Bucket', { required: true, minLength: 3, maxLength: 255, pattern: '[0-9A-Za-z\\.\\-_]*' }),
    name: s3.string('Name', { required: true, minLength: 1, maxLength: 1024 }),
    version: s3.string('Version', { minLength: 1, maxLength: 1024 }),
  };
  if ((bytes === undefined) === (s3Object === undefined)) {
    throw new AwsError('InvalidParameterException', `${member} must have exactly one of Bytes or S3Object`);
  }
  if (bytes) return { bytes };
  return { s3Object: { bucket: s3Object!.bucket, name: s3Object!.name, version: s3Object!.version } };
}

/** The most an S3 object may hold, and the service's error for one that holds more. */
export interface S3ObjectLimit {
  maxBytes: number;
  tooLarge(bytes: number): AwsError;
}

const REKOGNITION_S3_LIMIT: S3ObjectLimit = {
  maxBytes: MAX_S3_IMAGE_BYTES,
  tooLarge: (bytes) =>
    new AwsError('ImageTooLargeException', `Image size is too large: ${bytes} bytes, the limit from S3 is ${MAX_S3_IMAGE_BYTES}`),
};

export class ImageSource {
  private readonly s3: S3Client | undefined;

  constructor(
    s3: S3Settings | undefined,
    private readonly limit: S3ObjectLimit = REKOGNITION_S3_LIMIT,
  ) {
    this.s3 =
      s3 &&
      new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        credentials: s3.credentials,
        forcePathStyle: true,
        // s3rver does not understand the flexible checksums newer SDKs add by default.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 2,
        // A stalled S3 server must not hold a Rekognition request open forever.
        requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 10000 }),
      });
  }

  async load(image: ImageInput): Promise<Buffer> {
    return 'bytes' in image ? image.bytes : this.fetch(image.s3Object);
  }

  private async fetch({ bucket, name, version }: { bucket: string; name: string; version?: string }): Promise<Buffer> {
    const unreadable = (reason: string) =>
      new AwsError(
        'InvalidS3ObjectException',
        `Unable to get object metadata from S3. Check object key, region and/or access permissions. (s3://${bucket}/${name}: ${reason})`,
      );
    if (!this.s3) throw unreadable('this server has no S3 endpoint configured');
    let object;
    try {
      object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: name, VersionId: version }));
    } catch (error) {
      throw unreadable((error as Error).name);
    }
    const body = object.Body;
    if (!body) throw unreadable('empty response');
    if ((object.ContentLength ?? 0) > this.limit.maxBytes) {
      body
        .transformToWebStream()
        .cancel()
        .catch(() => undefined);
      throw this.limit.tooLarge(object.ContentLength ?? 0);
    }
    try {
      return Buffer.from(await body.transformToByteArray());
    } catch (error) {
      throw unreadable((error as Error).message);
    }
  }

  close(): void {
    this.s3?.destroy();
  }
}

/**
 * Writes a session's reference and audit images as Rekognition does: JPEG frames, into the session's S3 output
 * location as `<S3KeyPrefix>/<SessionId>/reference.jpg` and `<S3KeyPrefix>/<SessionId>/audit_images/<n>.jpg`, or,
 * without an output location, kept under the dataDir and answered as Bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import type { RawImage } from '../engine/types';
import type { ChosenFrame, LivenessDecision } from './scoring';
import type { LivenessSession, SessionStore, StoredImage } from './sessions';

/** AuditImage.Bytes is at most 204,800 bytes. */
const MAX_IMAGE_BYTES = 204_800;

export interface S3Settings {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface ResultWriter {
  store(session: LivenessSession, decision: LivenessDecision): Promise<{ referenceImage?: StoredImage; auditImages: StoredImage[] }>;
}

export function createResultWriter(store: SessionStore, s3Settings: S3Settings): ResultWriter {
  // Checksums only when required: S3-compatible servers (s3rver) do not take the SDK's default CRC32 headers.
  const s3 = new S3Client({
    ...s3Settings,
    forcePathStyle: true,
    maxAttempts: 2,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const save = async (session: LivenessSession, chosen: ChosenFrame, name: string): Promise<StoredImage> => {
    const jpeg = await toJpeg(chosen.frame.image);
    const output = session.outputConfig;
    if (output) {
      const prefix = output.S3KeyPrefix ? `${output.S3KeyPrefix.replace(/\/+$/, '')}/` : '';
      const key = `${prefix}${session.sessionId}/${name}`;
      await s3.send(new PutObjectCommand({ Bucket: output.S3Bucket, Key: key, Body: jpeg, ContentType: 'image/jpeg' }));
      return { boundingBox: chosen.box, s3Key: key };
    }
    const file = path.join(store.imageDir(session.sessionId), name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, jpeg);
    return { boundingBox: chosen.box, file: name };
  };
  return {
    async store(session, decision) {
      const referenceImage = decision.reference ? await save(session, decision.reference, 'reference.jpg') : undefined;
      const auditImages: StoredImage[] = [];
      for (const [index, audit] of decision.audits.entries()) auditImages.push(await save(session, audit, `audit_images/${index + 1}.jpg`));
      return { ...(referenceImage ? { referenceImage } : {}), auditImages };
    },
  };
}

/** A JPEG under the Bytes limit: high quality first, lower only if a large frame needs it. */
async function toJpeg(image: RawImage): Promise<Buffer> {
  for (const quality of [92, 85, 75, 60]) {
    const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .jpeg({ quality })
      .toBuffer();
    if (jpeg.length <= MAX_IMAGE_BYTES) return jpeg;
  }
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width: 640, withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
}

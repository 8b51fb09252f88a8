/**
 * The ID-photo upload through a presigned S3 POST (an ENROLL_ID_PHOTO challenge's or a replacement's). The upload policy pins
 * image/jpeg, so every chosen photo (JPEG, PNG or WebP, or a camera frame) is decoded and re-encoded here as a JPEG
 * within the upload's size limit; that also drops the file's metadata (location, camera). The checks only give a
 * friendly message early: the POST policy and the indexer enforce type and size anyway.
 */
import { UPLOAD_TYPE, type EnrollChallenge } from './challenge';

/** Where a photo goes: the presigned POST of an ENROLL_ID_PHOTO challenge or of an ID photo replacement. */
export type UploadTarget = Pick<EnrollChallenge, 'uploadUrl' | 'uploadFields' | 'maxBytes'>;

export interface PhotoFacts {
  type: string;
  size: number;
}

/** What the file picker offers: the formats every browser decodes. */
export const PICKABLE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** No camera or phone makes a larger photo; decoding a larger file could exhaust the page's memory. */
export const MAX_PICKED_BYTES = 40 * 1024 * 1024;
/** Longest side of the uploaded JPEG: more detail than face matching uses, within every browser's canvas limit. */
export const MAX_SIDE = 4096;
const JPEG_QUALITY = 0.92;
const MAX_ENCODINGS = 4;

const TYPE_NAMES: Record<string, string> = { 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP' };

export function describeTypes(contentTypes: string[]): string {
  const names = contentTypes.map((type) => TYPE_NAMES[type] ?? type);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
}

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** Why this chosen photo cannot be used, or undefined when it can be prepared for upload. */
export function photoProblem(photo: PhotoFacts): string | undefined {
  if (!PICKABLE_TYPES.includes(photo.type)) {
    return `This file is not a ${describeTypes(PICKABLE_TYPES)} image. Choose a photo in one of those formats.`;
  }
  if (photo.size === 0) return 'This file is empty. Choose another photo.';
  if (photo.size > MAX_PICKED_BYTES) {
    const [size, limit] = [describeBytes(photo.size), describeBytes(MAX_PICKED_BYTES)];
    return `This file is ${size}; photos up to ${limit} can be used. Choose a smaller photo.`;
  }
  return undefined;
}

export class UploadError extends Error {
  override name = 'UploadError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Encodes the decoded photo as a JPEG at `scale` (1 = its size after the MAX_SIDE cap). */
export type JpegEncoder = (scale: number) => Promise<Blob>;

/**
 * The largest JPEG within `maxBytes`: full size first, then smaller. A JPEG's size is roughly proportional to its
 * pixel count, so each try shrinks the area by the ratio the last one overshot, with a 10% margin.
 */
export async function fitJpeg(encode: JpegEncoder, maxBytes: number): Promise<Blob> {
  let scale = 1;
  for (let encoding = 0; encoding < MAX_ENCODINGS; encoding++) {
    const jpeg = await encode(scale);
    if (jpeg.size <= maxBytes) return jpeg;
    scale *= Math.sqrt(maxBytes / jpeg.size) * 0.9;
  }
  throw new UploadError(`This photo could not be made smaller than ${describeBytes(maxBytes)}. Choose another photo.`);
}

/** The chosen photo as the JPEG to upload (browser only): EXIF orientation applied, transparency on white. */
export async function toUploadJpeg(photo: Blob, maxBytes: number): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(photo, { imageOrientation: 'from-image' });
  } catch {
    throw new UploadError('This file could not be read as a photo. Choose another photo.');
  }
  try {
    const fit = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    return await fitJpeg((scale) => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * fit * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * fit * scale));
      const context = canvas.getContext('2d');
      if (!context) throw new UploadError('This browser cannot prepare the photo. Try another browser.');
      // JPEG has no transparency: without a background, transparent pixels would turn black.
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise<Blob>((resolve, reject) =>
        canvas.toBlob(
          (blob) => (blob ? resolve(blob) : reject(new UploadError('The photo could not be prepared. Choose another photo.'))),
          UPLOAD_TYPE,
          JPEG_QUALITY,
        ),
      );
    }, maxBytes);
  } finally {
    bitmap.close();
  }
}

/**
 * The multipart body S3 expects: every policy field first, then Content-Type (pinned by the policy to JPEG),
 * then the file last (S3 ignores fields after the file).
 */
export function uploadForm(target: UploadTarget, jpeg: Blob): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(target.uploadFields)) {
    if (name.toLowerCase() !== 'content-type') form.append(name, value);
  }
  form.append('Content-Type', UPLOAD_TYPE);
  form.append('file', jpeg);
  return form;
}

/** Posts a JPEG made by toUploadJpeg. */
export async function uploadIdPhoto(target: UploadTarget, jpeg: Blob, fetchImpl: typeof fetch = fetch): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(target.uploadUrl, { method: 'POST', body: uploadForm(target, jpeg) });
  } catch {
    throw new UploadError('The photo could not be sent. Check your connection and try again.');
  }
  if (!response.ok) {
    // S3 answers 400 EntityTooLarge / AccessDenied (policy) and 403 for an expired policy; all mean "this upload was refused".
    throw new UploadError('The photo was refused by the storage service. Try another photo.', response.status);
  }
}

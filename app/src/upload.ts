/**
 * The ID-photo upload through the presigned S3 POST the ENROLL_ID_PHOTO challenge carries. The checks here
 * only give a friendly message early; the POST policy and the indexer enforce type and size anyway.
 */
import type { EnrollChallenge } from './challenge';

export interface PhotoFacts {
  type: string;
  size: number;
}

const TYPE_NAMES: Record<string, string> = { 'image/jpeg': 'JPEG', 'image/png': 'PNG' };

export function describeTypes(contentTypes: string[]): string {
  return contentTypes.map((type) => TYPE_NAMES[type] ?? type).join(' or ');
}

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** Why this photo cannot be sent, or undefined when it may be. */
export function photoProblem(photo: PhotoFacts, challenge: EnrollChallenge): string | undefined {
  if (!challenge.contentTypes.includes(photo.type)) {
    return `This file is not a ${describeTypes(challenge.contentTypes)} image. Choose a photo in one of those formats.`;
  }
  if (photo.size === 0) return 'This file is empty. Choose another photo.';
  if (photo.size > challenge.maxBytes) {
    return `This photo is ${describeBytes(photo.size)}; the limit is ${describeBytes(challenge.maxBytes)}. Choose a smaller photo.`;
  }
  return undefined;
}

/**
 * The multipart body S3 expects: every policy field first, then Content-Type (pinned by the policy),
 * then the file last (S3 ignores fields after the file).
 */
export function uploadForm(challenge: EnrollChallenge, photo: Blob): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(challenge.uploadFields)) {
    if (name.toLowerCase() !== 'content-type') form.append(name, value);
  }
  form.append('Content-Type', photo.type);
  form.append('file', photo);
  return form;
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

export async function uploadIdPhoto(challenge: EnrollChallenge, photo: Blob, fetchImpl: typeof fetch = fetch): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(challenge.uploadUrl, { method: 'POST', body: uploadForm(challenge, photo) });
  } catch {
    throw new UploadError('The photo could not be sent. Check your connection and try again.');
  }
  if (!response.ok) {
    // S3 answers 400 EntityTooLarge / AccessDenied (policy) and 403 for an expired policy; all mean "this upload was refused".
    throw new UploadError('The photo was refused by the storage service. Try another photo.', response.status);
  }
}

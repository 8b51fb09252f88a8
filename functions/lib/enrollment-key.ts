/**
 * The shape of enrollment object keys, `enrollment/<sub>/<uuid>.jpg`: issued by create, parsed by the indexer.
 * Uploads are JPEG only: the first upload challenge follows InitiateAuth, whose ClientMetadata Cognito passes to
 * no trigger, so the client cannot choose a type; the app re-encodes any photo to JPEG before it uploads.
 */

export const ENROLLMENT_CONTENT_TYPE = 'image/jpeg';

/** Cognito subs and our object names are UUIDs; a key with anything else is not one we issued. */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const KEY_PATTERN = new RegExp(`^enrollment/(${UUID})/${UUID}\\.jpg$`);

export function enrollmentKey(sub: string, id: string): string {
  return `enrollment/${sub}/${id}.jpg`;
}

/** The owner of an enrollment key, or undefined when the key is not one we issue. */
export function parseEnrollmentKey(key: string): { sub: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  return match ? { sub: match[1]! } : undefined;
}

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

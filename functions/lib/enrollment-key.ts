/** The shape of enrolment object keys, `enrollment/<sub>/<uuid>.<jpg|png>`: issued here, parsed by the indexer. */

export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png'] as const;
export type ImageContentType = (typeof IMAGE_CONTENT_TYPES)[number];

const EXTENSION: Record<ImageContentType, 'jpg' | 'png'> = { 'image/jpeg': 'jpg', 'image/png': 'png' };
const CONTENT_TYPE: Record<'jpg' | 'png', ImageContentType> = { jpg: 'image/jpeg', png: 'image/png' };

/** Cognito subs and our object names are UUIDs; a key with anything else is not one we issued. */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const KEY_PATTERN = new RegExp(`^enrollment/(${UUID})/${UUID}\\.(jpg|png)$`);

export function enrollmentKey(sub: string, id: string, contentType: ImageContentType): string {
  return `enrollment/${sub}/${id}.${EXTENSION[contentType]}`;
}

export interface ParsedEnrollmentKey {
  sub: string;
  contentType: ImageContentType;
}

/** The owner and expected type of an enrolment key, or undefined when the key is not one we issue. */
export function parseEnrollmentKey(key: string): ParsedEnrollmentKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { sub: match[1]!, contentType: CONTENT_TYPE[match[2] as 'jpg' | 'png'] };
}

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * What s3rver would turn into a file path elsewhere than the object's own place. s3rver keeps an object as files
 * whose path is the data folder joined with the bucket and the key's segments, and a multipart upload's parts under
 * its upload id and part number: a `.`, `..` or empty segment (or a `\`, a separator on Windows) is normalised away
 * by that join, so it names another key's files or ones outside the data folder. S3's keys are opaque strings and
 * the stack's functions never make such a key, so the gate refuses them all before s3rver joins them.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { invalidUri, S3Error } from './s3-error';

// A DeleteObjects body is read with the XML parser s3rver reads it with, so the keys checked are the keys it deletes.
const s3rverRequire = createRequire(createRequire(import.meta.url).resolve('s3rver'));
const xmlParser = s3rverRequire('fast-xml-parser') as { parse(xml: string, options: object): unknown };
const he = s3rverRequire('he') as { decode(text: string): string };

const JOINED_AWAY = new Set(['', '.', '..']);

/** Whether `bucket/key` keeps its place when joined as s3rver joins it (a key may end in `/`, as folder markers do). */
function staysInPlace(path: string): boolean {
  const segments = path.split(/[/\\]/);
  if (segments.at(-1) === '') segments.pop();
  return segments.every((segment) => !JOINED_AWAY.has(segment));
}

function invalidKey(): S3Error {
  return new S3Error('InvalidArgument', 'Invalid Argument', 400, { ArgumentName: 'key' });
}

/**
 * The request's path as s3rver reads it: raw, as sent (the WHATWG URL the gate reads it with resolves dot segments,
 * s3rver does not), each segment decoded. Once this passes, the gate's bucket and key are s3rver's.
 */
function checkPath(req: IncomingMessage): void {
  let path: string;
  try {
    path = decodeURIComponent((req.url ?? '/').split('?')[0]?.slice(1) ?? '');
  } catch {
    throw invalidUri();
  }
  if (path !== '' && !staysInPlace(path)) throw invalidKey();
}

/** A browser POST upload: its path, and the key its form names. */
export function checkPostKey(req: IncomingMessage, bucket: string, key: string): void {
  checkPath(req);
  if (!staysInPlace(`${bucket}/${key}`)) throw invalidKey();
}

/**
 * Every other request: its path (bucket and key), and any paths s3rver reads from the query, headers and body: a
 * copy's source, a multipart upload's id and part number, the keys a DeleteObjects names.
 */
export function checkStorePaths(req: IncomingMessage, url: URL, bucket: string, body: Buffer): void {
  checkPath(req);
  const copySource = req.headers['x-amz-copy-source'];
  const copyPath = copySource === undefined ? '' : copySourcePath(copySource);
  if (copyPath === undefined || !staysInPlace(copyPath)) {
    throw new S3Error('InvalidArgument', 'Invalid Argument', 400, { ArgumentName: 'x-amz-copy-source' });
  }
  if (url.searchParams.getAll('uploadId').some((id) => !/^[0-9a-f]+$/.test(id))) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', 404);
  }
  if (url.searchParams.getAll('partNumber').some((part) => !/^\d+$/.test(part) || Number(part) < 1 || Number(part) > 10_000)) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400, {
      ArgumentName: 'partNumber',
    });
  }
  if (url.searchParams.has('delete') && !deletedKeys(body).every((deleted) => staysInPlace(`${bucket}/${deleted}`))) {
    throw invalidKey();
  }
}

/** The keys of a DeleteObjects body as s3rver parses it (a Key of digits alone it reads as a number). */
function deletedKeys(body: Buffer): string[] {
  const parsed = xmlParser.parse(body.toString('utf8'), { tagValueProcessor: (value: string) => he.decode(value) }) as {
    Delete?: { Object?: { Key?: unknown } | Array<{ Key?: unknown }> };
  };
  return ([] as Array<{ Key?: unknown }>).concat(parsed.Delete?.Object ?? []).map((object) => String(object?.Key ?? ''));
}

/** `bucket/key` of an `x-amz-copy-source`, decoded as s3rver decodes it; undefined if it cannot be. */
function copySourcePath(header: string | string[]): string | undefined {
  try {
    return decodeURI(String(header)).replace(/^\//, '');
  } catch {
    return undefined;
  }
}

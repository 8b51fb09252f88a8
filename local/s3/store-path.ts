/**
 * What s3rver would turn into a file path elsewhere than the object's own place. s3rver keeps an object as files
 * whose path is the data folder joined with the bucket and the key's segments, and a multipart upload's parts under
 * its upload id and part number: a `.`, `..` or empty segment (or a `\`, a separator on Windows) is normalised away
 * by that join, so it names another key's files or ones outside the data folder. S3's keys are opaque strings and
 * the stack's functions never make such a key, so the gate refuses them all before s3rver joins them.
 */
import type { IncomingMessage } from 'node:http';
import { S3Error } from './s3-error';

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

/** The key as a POST form names it. */
export function checkPostKey(bucket: string, key: string): void {
  if (!staysInPlace(`${bucket}/${key}`)) throw invalidKey();
}

/**
 * The request's key and bucket, as s3rver decodes them from the path, and any it reads from the query and headers:
 * a copy's source, a multipart upload's id and part number.
 */
export function checkStorePaths(req: IncomingMessage, url: URL, bucket: string): void {
  if (bucket === '') return;
  let key: string;
  try {
    key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
  if (!staysInPlace(`${bucket}/${key}`)) throw invalidKey();
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
}

/** `bucket/key` of an `x-amz-copy-source`, decoded as s3rver decodes it; undefined if it cannot be. */
function copySourcePath(header: string | string[]): string | undefined {
  try {
    return decodeURI(String(header)).replace(/^\//, '');
  } catch {
    return undefined;
  }
}

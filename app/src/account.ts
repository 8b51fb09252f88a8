/**
 * The signed-in account API: replace the ID photo (a presigned POST, then its check polled) and delete the account.
 * Every call carries the user's access token. Answers are validated before a screen uses them, and neither a status
 * nor the server's text reaches the user: only the kind of failure does.
 */
import type { UploadTarget } from './upload';

/**
 * refused: 403, the sign-in is not fresh enough or the user is locked out (the server does not say which);
 * signedOut: 401, no valid token; timedOut: a photo check gave no decision in time; failed: anything else.
 */
export type AccountErrorKind = 'refused' | 'signedOut' | 'timedOut' | 'failed';

export class AccountApiError extends Error {
  override name = 'AccountApiError';
  constructor(readonly kind: AccountErrorKind) {
    super(`account API: ${kind}`);
  }
}

export interface IdPhotoUpload {
  uploadId: string;
  target: UploadTarget;
}

export type IdPhotoStatus = { status: 'PENDING' } | { status: 'ACCEPTED' } | { status: 'REJECTED'; reason?: string };
export type IdPhotoDecision = Exclude<IdPhotoStatus, { status: 'PENDING' }>;

/** What a deletion removed, in counts. */
export interface DeletedAccount {
  faces: number;
  objects: number;
  items: number;
}

type JsonObject = Record<string, unknown>;

function object(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AccountApiError('failed');
  return value as JsonObject;
}

function text(source: JsonObject, key: string): string {
  const value = source[key];
  if (typeof value !== 'string' || value === '') throw new AccountApiError('failed');
  return value;
}

function count(source: JsonObject, key: string, minimum = 0): number {
  const value = source[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) throw new AccountApiError('failed');
  return value;
}

function parseIdPhotoUpload(body: unknown): IdPhotoUpload {
  const answer = object(body);
  const upload = object(answer.upload);
  const uploadUrl = text(upload, 'url');
  if (!URL.canParse(uploadUrl)) throw new AccountApiError('failed');
  const uploadFields: Record<string, string> = {};
  for (const [name, value] of Object.entries(object(upload.fields))) {
    if (typeof value !== 'string') throw new AccountApiError('failed');
    uploadFields[name] = value;
  }
  return { uploadId: text(answer, 'uploadId'), target: { uploadUrl, uploadFields, maxBytes: count(answer, 'maxBytes', 1) } };
}

function parseIdPhotoStatus(body: unknown): IdPhotoStatus {
  const answer = object(body);
  switch (answer.status) {
    case 'PENDING':
    case 'ACCEPTED':
      return { status: answer.status };
    case 'REJECTED':
      return typeof answer.reason === 'string' && answer.reason !== ''
        ? { status: 'REJECTED', reason: answer.reason }
        : { status: 'REJECTED' };
    default:
      throw new AccountApiError('failed');
  }
}

function parseDeletedAccount(body: unknown): DeletedAccount {
  const deleted = object(object(body).deleted);
  // The user itself is the last thing deleted; an answer without it is not a finished deletion.
  if (deleted.user !== true) throw new AccountApiError('failed');
  return { faces: count(deleted, 'faces'), objects: count(deleted, 'objects'), items: count(deleted, 'items') };
}

export interface AccountClientOptions {
  /** config.accountApiUrl: absolute, without a trailing slash. */
  baseUrl: string;
  /** The current access token (refreshed if need be), or undefined when there is no session. */
  accessToken: () => Promise<string | undefined>;
  fetch?: typeof fetch;
}

export interface PollOptions {
  intervalMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export const POLL_INTERVAL_MS = 1000;
export const POLL_TIMEOUT_MS = 30_000;

export type AccountClient = ReturnType<typeof accountClient>;

export function accountClient({ baseUrl, accessToken, fetch: fetchImpl = fetch }: AccountClientOptions) {
  async function call(method: 'GET' | 'POST' | 'DELETE', path: string): Promise<unknown> {
    const token = await accessToken().catch(() => undefined);
    if (!token) throw new AccountApiError('signedOut');
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, { method, headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    } catch {
      throw new AccountApiError('failed');
    }
    if (response.status === 401) throw new AccountApiError('signedOut');
    if (response.status === 403) throw new AccountApiError('refused');
    if (response.status !== 200) throw new AccountApiError('failed');
    try {
      return await response.json();
    } catch {
      throw new AccountApiError('failed');
    }
  }

  async function idPhotoStatus(uploadId: string): Promise<IdPhotoStatus> {
    return parseIdPhotoStatus(await call('GET', `/account/id-photo/${encodeURIComponent(uploadId)}`));
  }

  return {
    /** A presigned POST for a new ID photo, under a key the server chose. */
    async startIdPhotoReplacement(): Promise<IdPhotoUpload> {
      return parseIdPhotoUpload(await call('POST', '/account/id-photo'));
    },

    /** Polls an uploaded photo's check until it is accepted or rejected; AccountApiError('timedOut') past the timeout. */
    async idPhotoDecision(uploadId: string, options: PollOptions = {}): Promise<IdPhotoDecision> {
      const {
        intervalMs = POLL_INTERVAL_MS,
        timeoutMs = POLL_TIMEOUT_MS,
        sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now = Date.now,
      } = options;
      const deadline = now() + timeoutMs;
      for (;;) {
        const answer = await idPhotoStatus(uploadId);
        if (answer.status !== 'PENDING') return answer;
        if (now() + intervalMs > deadline) throw new AccountApiError('timedOut');
        await sleep(intervalMs);
      }
    },

    /** Deletes the account and every piece of its face data; the answer counts what went. */
    async deleteAccount(): Promise<DeletedAccount> {
      return parseDeletedAccount(await call('DELETE', '/account'));
    },
  };
}

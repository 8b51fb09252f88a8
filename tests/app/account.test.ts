import { AccountApiError, accountClient, type AccountErrorKind } from '../../app/src/account';

const BASE = 'https://api.example.com';
const TOKEN = 'header.payload.signature';

const UPLOAD_ANSWER = {
  uploadId: '6f1c2d1e-5b7a-4c1e-9f1a-2b3c4d5e6f70',
  upload: { url: 'https://face-bucket.s3.amazonaws.com/', fields: { key: 'enrollment/sub-1/new.jpg', Policy: 'cG9saWN5' } },
  maxBytes: 5242880,
};

interface Sent {
  url: string;
  method: string;
  authorization: string | null;
}

/** A fetch that answers each call with the next of `answers` (status and JSON body, or a thrown network error). */
function fakeFetch(...answers: Array<{ status: number; body?: unknown } | 'network-error'>) {
  const sent: Sent[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({ url: String(url), method: init?.method ?? 'GET', authorization: new Headers(init?.headers).get('authorization') });
    const answer = answers.shift();
    if (answer === undefined) throw new Error('no more answers');
    if (answer === 'network-error') throw new TypeError('Failed to fetch');
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    return new Response(body, { status: answer.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

/** A fetch that answers 200 with `body` once. */
function okFetch(body: unknown) {
  return fakeFetch({ status: 200, body }).fetch;
}

function client(fetch: typeof globalThis.fetch, accessToken: () => Promise<string | undefined> = async () => TOKEN) {
  return accountClient({ baseUrl: BASE, accessToken, fetch });
}

async function failureKind(promise: Promise<unknown>): Promise<AccountErrorKind> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AccountApiError)) throw new Error(`expected an AccountApiError, got ${String(error)}`);
  return error.kind;
}

describe('starting an ID photo replacement', () => {
  it('posts to /account/id-photo with the access token as a bearer token', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: UPLOAD_ANSWER });
    await client(fetch).startIdPhotoReplacement();
    expect(sent).toEqual([{ url: `${BASE}/account/id-photo`, method: 'POST', authorization: `Bearer ${TOKEN}` }]);
  });

  it('gives the upload id and the presigned POST as an upload target', async () => {
    const { fetch } = fakeFetch({ status: 200, body: UPLOAD_ANSWER });
    await expect(client(fetch).startIdPhotoReplacement()).resolves.toEqual({
      uploadId: UPLOAD_ANSWER.uploadId,
      target: { uploadUrl: UPLOAD_ANSWER.upload.url, uploadFields: UPLOAD_ANSWER.upload.fields, maxBytes: 5242880 },
    });
  });

  it('fails on an answer whose upload fields are not all strings', async () => {
    const body = { ...UPLOAD_ANSWER, upload: { ...UPLOAD_ANSWER.upload, fields: { key: 42 } } };
    await expect(failureKind(client(okFetch(body)).startIdPhotoReplacement())).resolves.toBe('failed');
  });

  it('fails on an answer without an upload URL', async () => {
    const body = { ...UPLOAD_ANSWER, upload: { fields: {} } };
    await expect(failureKind(client(okFetch(body)).startIdPhotoReplacement())).resolves.toBe('failed');
  });

  it('fails on an answer whose size limit is not a positive whole number', async () => {
    await expect(failureKind(client(okFetch({ ...UPLOAD_ANSWER, maxBytes: 0 })).startIdPhotoReplacement())).resolves.toBe('failed');
  });
});

describe('how the account API refuses', () => {
  it('reads 403 as refused: the sign-in is not fresh enough, or the user is locked out', async () => {
    const { fetch } = fakeFetch({ status: 403, body: { message: 'Request refused.' } });
    await expect(failureKind(client(fetch).startIdPhotoReplacement())).resolves.toBe('refused');
  });

  it('reads 401 as signed out', async () => {
    const { fetch } = fakeFetch({ status: 401, body: { message: 'Unauthorized' } });
    await expect(failureKind(client(fetch).deleteAccount())).resolves.toBe('signedOut');
  });

  it('is signed out without calling the API when there is no access token', async () => {
    const { fetch, sent } = fakeFetch();
    await expect(failureKind(client(fetch, async () => undefined).deleteAccount())).resolves.toBe('signedOut');
    expect(sent).toEqual([]);
  });

  it('is signed out when the session cannot be read', async () => {
    const { fetch } = fakeFetch();
    const broken = async (): Promise<string> => {
      throw new Error('NotAuthorizedException');
    };
    await expect(failureKind(client(fetch, broken).deleteAccount())).resolves.toBe('signedOut');
  });

  it('fails on any other status, without carrying the server text', async () => {
    const { fetch } = fakeFetch({ status: 500, body: { message: 'DynamoDB table face-table not found' } });
    const error = await client(fetch)
      .deleteAccount()
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AccountApiError);
    expect((error as AccountApiError).kind).toBe('failed');
    expect((error as Error).message).not.toContain('face-table');
  });

  it('fails on a network error', async () => {
    const { fetch } = fakeFetch('network-error');
    await expect(failureKind(client(fetch).startIdPhotoReplacement())).resolves.toBe('failed');
  });

  it('fails on a 200 answer that is not JSON', async () => {
    const { fetch } = fakeFetch({ status: 200, body: '<html>gateway</html>' });
    await expect(failureKind(client(fetch).startIdPhotoReplacement())).resolves.toBe('failed');
  });
});

describe('waiting for the decision on an uploaded photo', () => {
  /** A clock that `sleep` moves forward. */
  function fakeClock() {
    let now = 0;
    const sleeps: number[] = [];
    return {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
      sleeps,
    };
  }

  it('polls GET /account/id-photo/{uploadId} every second until the photo is accepted', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: { status: 'PENDING' } }, { status: 200, body: { status: 'ACCEPTED' } });
    const clock = fakeClock();
    await expect(client(fetch).idPhotoDecision('upload-1', clock)).resolves.toEqual({ status: 'ACCEPTED' });
    expect(sent.map(({ url, method }) => `${method} ${url}`)).toEqual([
      `GET ${BASE}/account/id-photo/upload-1`,
      `GET ${BASE}/account/id-photo/upload-1`,
    ]);
    expect(clock.sleeps).toEqual([1000]);
  });

  it('gives a refusal with its reason code', async () => {
    const { fetch } = fakeFetch({ status: 200, body: { status: 'REJECTED', reason: 'NO_MATCH' } });
    await expect(client(fetch).idPhotoDecision('upload-1', fakeClock())).resolves.toEqual({ status: 'REJECTED', reason: 'NO_MATCH' });
  });

  it('gives a refusal without a reason when the server names none', async () => {
    const { fetch } = fakeFetch({ status: 200, body: { status: 'REJECTED' } });
    await expect(client(fetch).idPhotoDecision('upload-1', fakeClock())).resolves.toEqual({ status: 'REJECTED' });
  });

  it('gives up with timedOut when the photo is still pending after 30 seconds', async () => {
    const { fetch, sent } = fakeFetch(...Array.from({ length: 40 }, () => ({ status: 200, body: { status: 'PENDING' } })));
    await expect(failureKind(client(fetch).idPhotoDecision('upload-1', fakeClock()))).resolves.toBe('timedOut');
    expect(sent).toHaveLength(31);
  });

  it('fails on a status it does not know', async () => {
    const { fetch } = fakeFetch({ status: 200, body: { status: 'MAYBE' } });
    await expect(failureKind(client(fetch).idPhotoDecision('upload-1', fakeClock()))).resolves.toBe('failed');
  });

  it('escapes the upload id into the path', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: { status: 'ACCEPTED' } });
    await client(fetch).idPhotoDecision('../account', fakeClock());
    expect(sent[0]?.url).toBe(`${BASE}/account/id-photo/..%2Faccount`);
  });
});

describe('deleting the account', () => {
  it('sends DELETE /account with the access token and gives the counts of what was deleted', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: { deleted: { faces: 2, objects: 5, items: 7, user: true } } });
    await expect(client(fetch).deleteAccount()).resolves.toEqual({ faces: 2, objects: 5, items: 7 });
    expect(sent).toEqual([{ url: `${BASE}/account`, method: 'DELETE', authorization: `Bearer ${TOKEN}` }]);
  });

  it('fails when the answer does not say the user was deleted', async () => {
    const { fetch } = fakeFetch({ status: 200, body: { deleted: { faces: 2, objects: 5, items: 7, user: false } } });
    await expect(failureKind(client(fetch).deleteAccount())).resolves.toBe('failed');
  });

  it('fails when a count is not a whole number', async () => {
    const { fetch } = fakeFetch({ status: 200, body: { deleted: { faces: '2', objects: 5, items: 7, user: true } } });
    await expect(failureKind(client(fetch).deleteAccount())).resolves.toBe('failed');
  });
});

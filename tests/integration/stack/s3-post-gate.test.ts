import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPost } from '@aws-sdk/s3-presigned-post';
import type { LocalS3 } from '../../../local/s3/local-s3';
import { s3ClientOf, startTestS3 } from './local-s3-harness';

const BUCKET = 'face-bucket-test';
const APP_ORIGIN = 'http://localhost:3000';
const KEY = 'enrollment/user-1/photo one.jpg';

/** What an SDK call that S3 refused raised: its name and HTTP status. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  const error = (await call.then(
    () => undefined,
    (raised: unknown) => raised,
  )) as { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!error) throw new Error('the call succeeded');
  return { name: error.name, status: error.$metadata?.httpStatusCode };
}

describe('the local S3 POST gate', () => {
  /** Holds the data folder alone, so that a file written outside it shows. */
  let root: string;
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'local-s3-'));
    s3 = await startTestS3(
      join(root, 'data'),
      [
        {
          name: BUCKET,
          cors: [
            {
              allowedOrigins: [APP_ORIGIN],
              allowedMethods: ['POST', 'GET'],
              allowedHeaders: ['*'],
              exposedHeaders: ['ETag'],
              maxAgeSeconds: 300,
            },
          ],
        },
      ],
      1024 * 1024,
    );
    client = s3ClientOf(s3);
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
    rmSync(root, { recursive: true, force: true });
  });

  function presign(options: { expires?: number; maxBytes?: number; key?: string } = {}): Promise<PresignedPost> {
    const key = options.key ?? KEY;
    return createPresignedPost(client, {
      Bucket: BUCKET,
      Key: key,
      Conditions: [
        ['eq', '$key', key],
        ['eq', '$Content-Type', 'image/jpeg'],
        ['content-length-range', 1, options.maxBytes ?? 1000],
      ],
      Fields: { 'Content-Type': 'image/jpeg' },
      Expires: options.expires ?? 300,
    });
  }

  async function upload(post: PresignedPost, bytes: number, override: Record<string, string> = {}) {
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...post.fields, ...override })) form.append(name, value);
    form.append('file', new Blob([Buffer.alloc(bytes, 7)], { type: 'image/jpeg' }), 'photo.jpg');
    const response = await fetch(post.url, { method: 'POST', body: form, headers: { origin: APP_ORIGIN } });
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  /** Posts `parts` ([name, value, or the byte count of a file]) in that order, as a hand-made form. */
  async function post(parts: Array<[string, string | number]>) {
    const form = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([Buffer.alloc(value, 7)], { type: 'image/jpeg' }), 'photo.jpg');
    }
    const response = await fetch(`${s3.endpoint}/${BUCKET}`, { method: 'POST', body: form });
    return { status: response.status, body: await response.text() };
  }

  /** The HTTP status of a signed HeadObject: 200 if stored, 403 if not (the stack's role cannot list). */
  async function headStatus(key: string): Promise<number | undefined> {
    const head = client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return head.then(
      (output) => output.$metadata.httpStatusCode,
      (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
    );
  }

  it('accepts a valid presigned POST and stores the object with its content type', async () => {
    const response = await upload(await presign(), 500);
    expect(response.status).toBe(204);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    expect(head).toMatchObject({ ContentLength: 500, ContentType: 'image/jpeg' });
  });

  it('refuses a key other than the one the policy pins', async () => {
    const response = await upload(await presign(), 500, { key: 'enrollment/someone-else/photo.jpg' });
    expect(response.status).toBe(403);
    expect(response.body).toContain('<Code>AccessDenied</Code>');
    expect(response.body).toContain(
      'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "enrollment/user-1/photo one.jpg"]',
    );
  });

  it('stores an upload only at the key its policy names, whatever the letter case of a second key field', async () => {
    const target = 'liveness/someone-else/session/reference.jpg';
    const issued = await presign({ key: 'enrollment/user-1/issued.jpg' });
    const response = await post([
      ['key', target],
      ...Object.entries(issued.fields).map(([name, value]): [string, string] => [name === 'key' ? 'Key' : name, value]),
      ['file', 500],
    ]);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>MalformedPOSTRequest</Code>');
    expect(await headStatus(target)).toBe(403);
  });

  it('refuses a form whose file part comes after a decoy File part', async () => {
    const key = 'enrollment/user-1/decoy.jpg';
    const issued = await presign({ key, maxBytes: 1000 });
    const response = await post([...Object.entries(issued.fields), ['File', 10], ['file', 5000]]);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>MalformedPOSTRequest</Code>');
    expect(await headStatus(key)).toBe(403);
  });

  it('refuses a form that names a field twice', async () => {
    const key = 'enrollment/user-1/twice.jpg';
    const issued = await presign({ key });
    const response = await post([['Content-Type', 'text/html'], ...Object.entries(issued.fields), ['file', 500]]);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>MalformedPOSTRequest</Code>');
    expect(await headStatus(key)).toBe(403);
  });

  it('refuses a key with a .. segment, and writes nothing outside the data folder', async () => {
    const key = 'enrollment/user-1/../../../../escaped.jpg';
    const response = await upload(await presign({ key }), 500);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>InvalidArgument</Code>');
    expect(readdirSync(root)).toEqual(['data']);
  });

  it('refuses a content type other than the one the policy pins', async () => {
    const response = await upload(await presign(), 500, { 'Content-Type': 'image/png' });
    expect(response.status).toBe(403);
    expect(response.body).toContain('Policy Condition failed: ["eq", "$Content-Type", "image/jpeg"]');
  });

  it('refuses a file larger than the content-length-range', async () => {
    const response = await upload(await presign({ maxBytes: 1000 }), 1001);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>EntityTooLarge</Code>');
    expect(response.body).toContain('<ProposedSize>1001</ProposedSize><MaxSizeAllowed>1000</MaxSizeAllowed>');
  });

  it('refuses an empty file below the content-length-range', async () => {
    const response = await upload(await presign(), 0);
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>EntityTooSmall</Code>');
  });

  it('refuses a policy that has expired', async () => {
    const response = await upload(await presign({ expires: -1 }), 500);
    expect(response.status).toBe(403);
    expect(response.body).toContain('Invalid according to Policy: Policy expired.');
  });

  it('refuses a signature that does not match the policy', async () => {
    const post = await presign();
    const tampered = post.fields['X-Amz-Signature']!.replace(/^./, (first) => (first === '0' ? '1' : '0'));
    const response = await upload(post, 500, { 'X-Amz-Signature': tampered });
    expect(response.status).toBe(403);
    expect(response.body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses a credential whose date is not yyyymmdd', async () => {
    const post = await presign();
    const credential = post.fields['X-Amz-Credential']!.replace(/\/\d{8}\//, '/today/');
    const response = await upload(post, 500, { 'X-Amz-Credential': credential });
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>AuthorizationQueryParametersError</Code>');
  });

  it('refuses a form field the policy does not cover', async () => {
    const response = await upload(await presign(), 500, { 'x-amz-meta-owner': 'someone' });
    expect(response.status).toBe(403);
    expect(response.body).toContain('Invalid according to Policy: Extra input fields: x-amz-meta-owner');
  });

  it('refuses an upload without a policy', async () => {
    const form = new FormData();
    form.append('key', KEY);
    form.append('file', new Blob([Buffer.alloc(10)]), 'photo.jpg');
    const response = await fetch(`${s3.endpoint}/${BUCKET}`, { method: 'POST', body: form });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('answers the CORS preflight of the app origin and refuses other origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${s3.endpoint}/${BUCKET}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const allowed = await preflight(APP_ORIGIN);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect((await preflight('http://evil.example')).status).toBe(403);
  });

  it('adds CORS headers to its refusals so the browser app can read them', async () => {
    const response = await upload(await presign(), 500, { key: 'elsewhere.jpg' });
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('forwards signed SDK requests to the store', async () => {
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    expect((await object.Body!.transformToByteArray()).length).toBe(500);
  });

  it('answers an unsigned HEAD with 403 alone, no body or content type, as S3 answers every refused HEAD', async () => {
    const response = await fetch(`${s3.endpoint}/${BUCKET}/${encodeURIComponent(KEY)}`, { method: 'HEAD' });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBeNull();
    expect(await response.text()).toBe('');
  });

  describe('reading a missing object, answered as S3 answers a role without s3:ListBucket', () => {
    const MISSING = 'enrollment/user-1/never-uploaded.jpg';

    it('refuses a GET of a missing object with 403 AccessDenied, not 404 NoSuchKey', async () => {
      expect(await refusal(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: MISSING })))).toEqual({
        name: 'AccessDenied',
        status: 403,
      });
    });

    it('answers a HEAD of a missing object with 403', async () => {
      // With no body there is no error code: the SDK names it "Unknown", so callers go by the HTTP status.
      expect((await refusal(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: MISSING })))).status).toBe(403);
    });

    it('still answers 404 NoSuchBucket for a bucket that does not exist', async () => {
      expect(await refusal(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: MISSING })))).toEqual({
        name: 'NoSuchBucket',
        status: 404,
      });
    });
  });
});

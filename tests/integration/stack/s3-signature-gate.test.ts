import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalS3 } from '../../../local/s3/local-s3';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/template/local-environment';
import { expectIdleConnectionKept } from '../../support/keep-alive';
import { rawRequest } from '../../support/raw-request';
import { s3ClientOf, startTestS3 } from './local-s3-harness';

const BUCKET = 'face-bucket-signed';
const ENROLLED = 'enrollment/0b7e7d4e-1111-4222-8333-944445555666/accepted.jpg';
const ENROLLED_BYTES = Buffer.from('the enrolled face');

describe('the local S3 gate refuses what S3 refuses without a valid signature', () => {
  let dataDir: string;
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-s3-signed-'));
    s3 = await startTestS3(dataDir, [{ name: BUCKET, cors: [] }]);
    client = s3ClientOf(s3);
  });

  beforeEach(async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: ENROLLED, Body: ENROLLED_BYTES, ContentType: 'image/jpeg' }));
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const objectUrl = (key: string) => `${s3.endpoint}/${BUCKET}/${key}`;

  async function storedBytes(): Promise<string> {
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: ENROLLED }));
    return Buffer.from(await object.Body!.transformToByteArray()).toString();
  }

  async function expectRefusal(response: Response, status: number, code: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/xml');
    expect(await response.text()).toContain(`<Code>${code}</Code>`);
  }

  const signerWith = (secretAccessKey = LOCAL_CREDENTIALS.secretAccessKey) =>
    new SignatureV4({
      credentials: { ...LOCAL_CREDENTIALS, secretAccessKey },
      region: LOCAL_REGION,
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });

  /** A request for one object of the bucket, to be signed. */
  function objectRequest(method: string, key: string, headers: Record<string, string>, body?: string) {
    const { hostname, port } = new URL(s3.endpoint);
    const path = `/${BUCKET}/${key}`;
    const host = `${hostname}:${port}`;
    return new HttpRequest({ method, protocol: 'http:', hostname, port: Number(port), path, headers: { host, ...headers }, body });
  }

  /** A presigned GET URL as the S3 presigner makes it: only host signed, payload unsigned. */
  async function presignedGet(
    key: string,
    { expiresIn = 60, signingDate = new Date(), secretAccessKey = LOCAL_CREDENTIALS.secretAccessKey } = {},
  ) {
    const signer = signerWith(secretAccessKey);
    const request = objectRequest('GET', key, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
    const presigned = await signer.presign(request, {
      expiresIn,
      signingDate,
      unsignableHeaders: new Set(['x-amz-content-sha256']),
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
    });
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
    return `${s3.endpoint}${presigned.path}?${query}`;
  }

  it('serves signed SDK requests: put, get, list and delete', async () => {
    expect(await storedBytes()).toBe(ENROLLED_BYTES.toString());
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'enrollment/' }));
    expect(listed.Contents?.map((object) => object.Key)).toContain(ENROLLED);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'scratch.txt', Body: 'x' }));
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'scratch.txt' }));
  });

  it('serves a valid presigned GET URL', async () => {
    const response = await fetch(await presignedGet(ENROLLED));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(ENROLLED_BYTES.toString());
  });

  it('refuses an anonymous GET with AccessDenied', async () => {
    await expectRefusal(await fetch(objectUrl(ENROLLED)), 403, 'AccessDenied');
  });

  it('refuses an anonymous LIST with AccessDenied', async () => {
    await expectRefusal(await fetch(`${s3.endpoint}/${BUCKET}?list-type=2`), 403, 'AccessDenied');
  });

  it('refuses an anonymous PUT over an enrolled face and keeps the face', async () => {
    await expectRefusal(
      await fetch(objectUrl(ENROLLED), { method: 'PUT', body: 'attacker face', headers: { 'content-type': 'image/jpeg' } }),
      403,
      'AccessDenied',
    );
    expect(await storedBytes()).toBe(ENROLLED_BYTES.toString());
  });

  it('refuses an anonymous DELETE and keeps the object', async () => {
    await expectRefusal(await fetch(objectUrl(ENROLLED), { method: 'DELETE' }), 403, 'AccessDenied');
    expect(await storedBytes()).toBe(ENROLLED_BYTES.toString());
  });

  it('refuses an anonymous POST to the bucket with a query (not a browser upload)', async () => {
    await expectRefusal(await fetch(`${s3.endpoint}/${BUCKET}?x=1`, { method: 'POST', body: 'x' }), 403, 'AccessDenied');
    await expectRefusal(await fetch(`${s3.endpoint}/${BUCKET}?delete`, { method: 'POST', body: '<Delete/>' }), 403, 'AccessDenied');
  });

  it('refuses a request signed with the wrong secret with SignatureDoesNotMatch', async () => {
    const forged = s3ClientOf(s3, { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: 'guessed-secret' });
    await expect(forged.send(new PutObjectCommand({ Bucket: BUCKET, Key: ENROLLED, Body: 'attacker face' }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    forged.destroy();
    expect(await storedBytes()).toBe(ENROLLED_BYTES.toString());
  });

  it('refuses an access key it does not know with InvalidAccessKeyId', async () => {
    const stranger = s3ClientOf(s3, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    await expect(stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: ENROLLED }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    stranger.destroy();
  });

  it('refuses a presigned URL past its expiry with AccessDenied', async () => {
    const url = await presignedGet(ENROLLED, { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
  });

  it('refuses a presigned URL used for another key with SignatureDoesNotMatch', async () => {
    const url = (await presignedGet('enrollment/someone/else.jpg')).replace('enrollment/someone/else.jpg', ENROLLED);
    await expectRefusal(await fetch(url), 403, 'SignatureDoesNotMatch');
  });

  /** The headers of a PUT signed in its Authorization header, as the SDK signs it. */
  async function signedPutHeaders(key: string, headers: Record<string, string>, body?: string) {
    return (await signerWith().sign(objectRequest('PUT', key, headers, body))).headers;
  }

  it('refuses a signed PUT whose body is not the one signed', async () => {
    const headers = await signedPutHeaders(ENROLLED, { 'content-type': 'image/jpeg' }, 'the signed body');
    const response = await fetch(objectUrl(ENROLLED), { method: 'PUT', headers, body: 'attacker face' });
    await expectRefusal(response, 400, 'XAmzContentSHA256Mismatch');
    expect(await storedBytes()).toBe(ENROLLED_BYTES.toString());
  });

  it('serves other requests to the bucket while a PUT with an unsigned payload is still sending its body', async () => {
    const { hostname, port } = new URL(s3.endpoint);
    const body = Buffer.from('a body sent slowly');
    const headers = await signedPutHeaders('slow.txt', {
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'content-length': String(body.length),
    });
    const put = request({ hostname, port: Number(port), method: 'PUT', path: `/${BUCKET}/slow.txt`, headers });
    const answered = new Promise<number | undefined>((resolve, reject) => {
      put.on('response', (response) => response.resume().on('end', () => resolve(response.statusCode)));
      put.on('error', reject);
    });
    await new Promise((written) => put.write(body.subarray(0, 4), written));
    // Some of the body is in and the gate has had time to take it; the bucket still answers. Forwarded as it came, the
    // PUT would hold the bucket's turn, and this read would wait for the PUT's end.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await storedBytes()).toBe(ENROLLED_BYTES.toString());
    put.end(body.subarray(4));
    expect(await answered).toBe(200);
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'slow.txt' }));
    expect(await stored.Body!.transformToString()).toBe(body.toString());
  });

  it('refuses a signed PUT of a key with a .. segment, and writes nothing outside the bucket folder', async () => {
    // Sent as it is signed: fetch, like the SDK, would resolve the `..` before sending.
    const key = 'enrollment/../../escaped.txt';
    const { hostname, port } = new URL(s3.endpoint);
    const headers = await signedPutHeaders(key, {}, 'escaped');
    const put = request({ hostname, port: Number(port), method: 'PUT', path: `/${BUCKET}/${key}`, headers });
    const answer = new Promise<{ status?: number; body: string }>((resolve, reject) => {
      put.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      put.on('error', reject);
    });
    put.end('escaped');
    expect(await answer).toMatchObject({ status: 400, body: expect.stringContaining('<Code>InvalidArgument</Code>') });
    expect(readdirSync(dataDir)).toEqual([BUCKET]);
  });

  it('refuses a signed DeleteObjects naming a key with a .. segment, and deletes nothing outside the bucket folder', async () => {
    const outside = join(dataDir, 'outside.txt._S3rver_object');
    writeFileSync(outside, 'not the bucket');
    const deletion = client.send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'enrollment/../../outside.txt' }] } }),
    );
    await expect(deletion).rejects.toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    expect(existsSync(outside)).toBe(true);
    rmSync(outside);
  });

  it('answers a malformed escape in the path with InvalidURI, as S3 does, and none of its own text', async () => {
    const response = await fetch(`${s3.endpoint}/%E0%A4%A/${ENROLLED}`);
    const body = await response.clone().text();
    await expectRefusal(response, 400, 'InvalidURI');
    expect(body).toContain("<Message>Couldn't parse the specified URI.</Message>");
    expect(body).not.toMatch(/URIError|malformed/);
  });

  it('answers a request target that is no path with InvalidURI, and serves the next request', async () => {
    const answer = await rawRequest(s3.endpoint, 'GET //:99999 HTTP/1.1');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>InvalidURI</Code>');
    expect(await storedBytes()).toBe(ENROLLED_BYTES.toString());
  });

  it("keeps an idle keep-alive connection open past Node's 5 s default, so the SDK's next call reuses it", async () => {
    await expectIdleConnectionKept(await presignedGet(ENROLLED));
  }, 15_000);
});

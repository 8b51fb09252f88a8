import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { checkSigV4, credentialsOf, type SigV4Check, type SigV4Request } from '../../../local/aws/sigv4';

const IDENTITY = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const REGION = 'us-east-1';
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const check = (overrides: Partial<SigV4Check> = {}): SigV4Check => ({
  service: 'ses',
  region: REGION,
  credentials: credentialsOf(IDENTITY),
  now: NOW,
  ...overrides,
});

/** `applyChecksum` false: the SES and Cognito clients sign no x-amz-content-sha256 header. */
function signer(service = 'ses', secretAccessKey = IDENTITY.secretAccessKey, accessKeyId = IDENTITY.accessKeyId, applyChecksum = true) {
  return new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: REGION, service, sha256: Sha256, applyChecksum });
}

const unsigned = (body = '{"a":1}') =>
  new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4579,
    path: '/v2/email/outbound-emails',
    query: { page: '1 2' },
    headers: { host: '127.0.0.1:4579', 'content-type': 'application/json' },
    body,
  });

type SignedShape = Pick<HttpRequest, 'method' | 'path' | 'headers' | 'body'> & { query?: HttpRequest['query'] };

/** The request as the server receives it. */
function received(request: SignedShape, body = request.body as string | undefined): SigV4Request {
  const query = new URLSearchParams((request.query ?? {}) as Record<string, string>).toString().replace(/\+/g, '%20');
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: request.method, url: `${request.path}${query ? `?${query}` : ''}`, headers, ...(body !== undefined ? { body } : {}) };
}

const headerSigned = async (options: { service?: string; secret?: string; accessKeyId?: string; at?: number } = {}) =>
  signer(options.service, options.secret, options.accessKeyId, false).sign(unsigned(), { signingDate: new Date(options.at ?? NOW) });
const presigned = async (expiresIn = 300, at = NOW) =>
  signer().presign(new HttpRequest({ ...unsigned(), method: 'GET', body: undefined }), { signingDate: new Date(at), expiresIn });

describe('SigV4 verify mode', () => {
  test('accepts a request signed in the Authorization header', async () => {
    await expect(checkSigV4(received(await headerSigned()), check())).resolves.toMatchObject({
      accessKeyId: IDENTITY.accessKeyId,
      location: 'header',
    });
  });

  test('accepts a presigned URL within its expiry', async () => {
    await expect(checkSigV4(received(await presigned()), check())).resolves.toMatchObject({ location: 'query' });
  });

  test.each([
    ['no signature at all', async () => received(unsigned()), 'missing'],
    ['another body than the one signed', async () => received(await headerSigned(), '{"a":2}'), 'mismatch'],
    [
      'another body under a signed x-amz-content-sha256',
      async () => {
        const request = unsigned();
        request.headers['x-amz-content-sha256'] = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
        return received(await signer().sign(request, { signingDate: new Date(NOW) }), '{"a":2}');
      },
      'mismatch',
    ],
    ['the wrong secret', async () => received(await headerSigned({ secret: 'guessed' })), 'mismatch'],
    ['an unknown access key', async () => received(await headerSigned({ accessKeyId: 'AKIDSTRANGER' })), 'unknown-key'],
    ['a credential for another service', async () => received(await headerSigned({ service: 's3' })), 'wrong-service'],
    ['a header signature 16 minutes old', async () => received(await headerSigned({ at: NOW - 16 * 60 * 1000 })), 'expired'],
    ['a presigned URL past its expiry', async () => received(await presigned(60, NOW - 61 * 1000)), 'expired'],
    [
      'a presigned URL with a changed query',
      async () => ({ ...received(await presigned()), url: received(await presigned()).url.replace('page=1', 'page=9') }),
      'mismatch',
    ],
    [
      'a signature without host',
      async () => {
        const request = received(await headerSigned());
        return {
          ...request,
          headers: {
            ...request.headers,
            authorization: String(request.headers.authorization)
              .replace('SignedHeaders=', 'SignedHeaders=x-amz-date;')
              .replace('host;', ''),
          },
        };
      },
      'malformed',
    ],
    ['a request target that is no path', async () => ({ ...received(await headerSigned()), url: '//:99999' }), 'malformed'],
  ])('refuses %s', async (_, make, kind) => {
    await expect(checkSigV4(await make(), check())).rejects.toMatchObject({ name: 'SigV4Failure', kind });
  });

  test('refuses a signature scoped to another region', async () => {
    await expect(checkSigV4(received(await headerSigned()), check({ region: 'eu-west-1' }))).rejects.toMatchObject({
      kind: 'wrong-region',
    });
  });
});

describe('SigV4 shape mode', () => {
  test('accepts any access key and any signature of the right form', async () => {
    const stranger = received(await headerSigned({ accessKeyId: 'AKIDSTRANGER', secret: 'anything' }));
    await expect(checkSigV4(stranger, check({ mode: 'shape' }))).resolves.toMatchObject({ accessKeyId: 'AKIDSTRANGER' });
  });

  test('still refuses an expired presigned URL and a foreign scope', async () => {
    await expect(checkSigV4(received(await presigned(60, NOW - 61 * 1000)), check({ mode: 'shape' }))).rejects.toMatchObject({
      kind: 'expired',
    });
    await expect(checkSigV4(received(await headerSigned({ service: 's3' })), check({ mode: 'shape' }))).rejects.toMatchObject({
      kind: 'wrong-service',
    });
  });
});

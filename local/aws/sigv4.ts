/**
 * The one SigV4 check of the local stack, for requests signed in the Authorization header and for presigned URLs
 * (the signature in the query). Built on @smithy/signature-v4: the request is re-signed over exactly what the caller
 * signed, with the secret of the access key it names, and the signatures compared in constant time.
 *
 * - `verify` (default): form, credential scope (service, region), date and expiry, a known access key, signature.
 * - `shape`: form, scope, date and expiry only; any access key and any signature of the right form pass (for a
 *   caller that cannot have the secret, as a browser without an identity pool).
 *
 * A refusal is a SigV4Failure whose `kind` each service maps to its own exception; `message` is AWS's wording and
 * `detail` the reason, for the log only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Clock } from './clock';
import { AwsError } from './errors';
import { requestTarget } from './request-reader';

export interface SigV4Request {
  method: string;
  /** The request target as received: path and query, percent-encoded. */
  url: string;
  headers: IncomingHttpHeaders;
  /**
   * The body, when the service reads it whole: its SHA-256 is the payload hash, and a signed `x-amz-content-sha256`
   * must equal it. Without it (S3 streams bodies) the signed header is taken as the payload hash.
   */
  body?: string | Uint8Array;
}

export interface SigV4Check {
  service: string;
  region: string;
  /** Access key id -> secret access key. */
  credentials: Readonly<Record<string, string>>;
  now: number;
  mode?: 'verify' | 'shape';
  /** How far a header signature's date may be from now (AWS: 15 minutes). */
  maxSkewMs?: number;
  /** S3 signs the path as sent; every other service escapes it once more (smithy's `uriEscapePath`). */
  uriEscapePath?: boolean;
}

export type SigV4FailureKind =
  /** No Authorization header and no X-Amz-Signature: an anonymous request. */
  | 'missing'
  /** Parts of the signature missing or malformed, host not signed, a signed header absent. */
  | 'malformed'
  | 'wrong-service'
  | 'wrong-region'
  | 'unknown-key'
  /** Header signature too far from now, or a presigned URL past X-Amz-Expires (or not yet valid). */
  | 'expired'
  | 'mismatch';

export class SigV4Failure extends Error {
  override name = 'SigV4Failure';
  constructor(
    readonly kind: SigV4FailureKind,
    message: string,
    /** Why, for the server's log; never sent to the caller. */
    readonly detail: string = message,
  ) {
    super(message);
  }
}

/** The exception AWS JSON and REST-JSON services (Cognito, SES, Rekognition) answer for each failure. */
export const JSON_SERVICE_EXCEPTION: Readonly<Record<SigV4FailureKind, string>> = {
  missing: 'MissingAuthenticationTokenException',
  malformed: 'IncompleteSignatureException',
  'unknown-key': 'UnrecognizedClientException',
  'wrong-service': 'InvalidSignatureException',
  'wrong-region': 'InvalidSignatureException',
  expired: 'InvalidSignatureException',
  mismatch: 'InvalidSignatureException',
};

export interface SigV4Identity {
  accessKeyId: string;
  location: 'header' | 'query';
  signedAt: Date;
}

const MAX_SKEW_MS = 15 * 60 * 1000;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_EXPIRES_SECONDS = 604800;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const SHA256_HEADER = 'x-amz-content-sha256';
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([^,\s]+)$/;
const CREDENTIAL = /^([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request$/;
const SIGNED_HEADERS = /^[a-z0-9-]+(;[a-z0-9-]+)*$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

/**
 * The SigV4 signature of a string, as a browser POST upload signs its base64 policy: the HMAC of the string with
 * the signing key of `<shortDate>/<region>/<service>`. Hex.
 */
export async function signString(
  stringToSign: string,
  secret: { accessKeyId: string; secretAccessKey: string },
  scope: { shortDate: string; region: string; service: string },
): Promise<string> {
  const signer = new SignatureV4({ credentials: secret, region: scope.region, service: scope.service, sha256: Sha256 });
  const day = parseAmzDate(`${scope.shortDate}T000000Z`);
  if (!day) throw malformed(`the credential date '${scope.shortDate}' is not yyyymmdd`);
  return signer.sign(stringToSign, { signingDate: day });
}

/** The single-identity form of `credentials`. */
export function credentialsOf(identity: { accessKeyId: string; secretAccessKey: string }): Record<string, string> {
  return { [identity.accessKeyId]: identity.secretAccessKey };
}

/** The check in the mode `check.mode` says (default `verify`); throws a SigV4Failure. */
export async function checkSigV4(request: SigV4Request, check: SigV4Check): Promise<SigV4Identity> {
  const shape = checkShape(request, check);
  if (check.mode === 'shape') return shape.identity;
  return verifySignature(request, check, shape);
}

/**
 * `shape` mode on its own, synchronously: for a check that cannot wait (the liveness stream parses its query before
 * it answers the upgrade) and whose callers cannot have the secret.
 */
export function checkSigV4Shape(request: SigV4Request, check: Omit<SigV4Check, 'credentials' | 'mode'>): SigV4Identity {
  return checkShape(request, check).identity;
}

interface CheckedShape {
  identity: SigV4Identity;
  url: URL;
  parts: SignatureParts;
  signedHeaders: string[];
  /** The signed headers' values, by lower-case name. */
  headers: Record<string, string>;
}

function checkShape(request: SigV4Request, check: Omit<SigV4Check, 'credentials' | 'mode'>): CheckedShape {
  const url = requestTarget(request.url);
  if (!url) throw malformed(`the request target '${request.url}' is not a path`);
  const fromQuery = !request.headers.authorization && url.searchParams.has('X-Amz-Signature');
  const parts = fromQuery ? queryParts(url) : headerParts(request.headers);
  const [, accessKeyId = '', scopeDate, scopeRegion, scopeService] = CREDENTIAL.exec(parts.credential) ?? [];
  if (!scopeDate) throw malformed(`the credential '${parts.credential}' is not <key>/<yyyymmdd>/<region>/<service>/aws4_request`);
  if (scopeService !== check.service) {
    throw new SigV4Failure(
      'wrong-service',
      `Credential should be scoped to correct service: '${check.service}'.`,
      `credential scoped to '${scopeService}'`,
    );
  }
  if (scopeRegion !== check.region) {
    throw new SigV4Failure(
      'wrong-region',
      `Credential should be scoped to a valid region, not '${scopeRegion}'.`,
      `credential scoped to '${scopeRegion}'`,
    );
  }
  const signedAt = parseAmzDate(parts.amzDate ?? '');
  if (!signedAt || !parts.amzDate?.startsWith(scopeDate)) {
    throw malformed(`X-Amz-Date '${parts.amzDate ?? ''}' is not yyyymmddThhmmssZ of the credential's day ${scopeDate}`);
  }
  const skew = check.maxSkewMs ?? MAX_SKEW_MS;
  if (parts.expiresSeconds === undefined) {
    if (Math.abs(check.now - signedAt.getTime()) > skew) {
      throw new SigV4Failure(
        'expired',
        `Signature expired: ${parts.amzDate} is now earlier or later than the allowed ${skew / 60000} minutes ` +
          `from ${new Date(check.now).toISOString()}.`,
      );
    }
  } else {
    if (check.now < signedAt.getTime() - skew)
      throw new SigV4Failure('expired', 'Request is not yet valid', `presigned for ${signedAt.toISOString()}`);
    if (check.now > signedAt.getTime() + parts.expiresSeconds * 1000) {
      throw new SigV4Failure('expired', 'Request has expired', `presigned at ${signedAt.toISOString()} for ${parts.expiresSeconds} s`);
    }
  }
  if (!SIGNED_HEADERS.test(parts.signedHeaders))
    throw malformed(`SignedHeaders '${parts.signedHeaders}' is not a ;-separated list of lower-case names`);
  const signedHeaders = parts.signedHeaders.split(';');
  if (!signedHeaders.includes('host')) throw malformed("'Host' must be a signed header.");
  if (!SIGNATURE.test(parts.signature)) throw malformed('the signature is not 64 hex digits');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) throw malformed(`signed header '${name}' is missing from the request`);
    headers[name] = value;
  }
  // A signed payload hash must be the body's: else a captured request could be replayed with another body.
  if (
    request.body !== undefined &&
    SHA256_HEADER in headers &&
    headers[SHA256_HEADER] !== createHash('sha256').update(request.body).digest('hex')
  ) {
    throw new SigV4Failure('mismatch', MISMATCH, 'x-amz-content-sha256 is not the hash of the body');
  }
  return { identity: { accessKeyId, location: fromQuery ? 'query' : 'header', signedAt }, url, parts, signedHeaders, headers };
}

async function verifySignature(request: SigV4Request, check: SigV4Check, shape: CheckedShape): Promise<SigV4Identity> {
  const { identity, url, parts, signedHeaders, headers } = shape;
  const { accessKeyId, signedAt } = identity;
  const fromQuery = identity.location === 'query';

  const secretAccessKey = Object.hasOwn(check.credentials, accessKeyId) ? check.credentials[accessKeyId] : undefined;
  if (secretAccessKey === undefined) {
    throw new SigV4Failure('unknown-key', 'The security token included in the request is invalid.', `unknown access key '${accessKeyId}'`);
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region: check.region,
    service: check.service,
    sha256: Sha256,
    uriEscapePath: check.uriEscapePath ?? true,
    applyChecksum: false,
  });
  // The path exactly as sent: URL parsing would resolve dot segments the signer may have signed.
  const rawPath = request.url.split('?')[0] ?? '/';
  const signable = new HttpRequest({
    method: request.method.toUpperCase(),
    protocol: 'http:',
    hostname: headers.host ?? '',
    path: check.uriEscapePath === false ? rawPath : safeDecodePath(rawPath),
    query: signedQuery(url),
    headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const signedHeaderSet = new Set(signedHeaders);
  let expected: string;
  if (fromQuery) {
    // A presigned URL's payload is unsigned unless the caller said otherwise (S3); the header stays a header.
    if (!(SHA256_HEADER in headers) && check.service === 's3') signable.headers[SHA256_HEADER] = 'UNSIGNED-PAYLOAD';
    const presigned = await signer.presign(signable, {
      signingDate: signedAt,
      expiresIn: parts.expiresSeconds,
      signableHeaders: signedHeaderSet,
      unsignableHeaders: signedHeaderSet.has(SHA256_HEADER) ? new Set() : new Set([SHA256_HEADER]),
      unhoistableHeaders: new Set([...signedHeaders, SHA256_HEADER]),
    });
    expected = String(presigned.query?.['X-Amz-Signature'] ?? '');
  } else {
    const signed = await signer.sign(signable, { signingDate: signedAt, signableHeaders: signedHeaderSet });
    expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  }
  if (expected.length !== parts.signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(parts.signature))) {
    throw new SigV4Failure('mismatch', MISMATCH, `signature mismatch for access key '${accessKeyId}'`);
  }
  return identity;
}

interface SignatureParts {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string | undefined;
  /** Presigned URLs only. */
  expiresSeconds?: number;
}

function headerParts(headers: IncomingHttpHeaders): SignatureParts {
  const authorization = headerValue(headers, 'authorization');
  // An empty header is no header, as AWS reads it.
  if (!authorization) throw new SigV4Failure('missing', 'Missing Authentication Token', 'no Authorization header and no presigned query');
  const match = AUTHORIZATION.exec(authorization);
  if (!match) throw malformed(`Authorization header is not ${ALGORITHM} Credential=..., SignedHeaders=..., Signature=...`);
  const [, credential = '', signedHeaders = '', signature = ''] = match;
  return { credential, signedHeaders, signature, amzDate: headerValue(headers, 'x-amz-date') };
}

function queryParts(url: URL): SignatureParts {
  const q = url.searchParams;
  const required = (name: string) => {
    const value = q.get(name);
    if (value === null || value === '') throw malformed(`query parameter ${name} is missing`);
    return value;
  };
  if (required('X-Amz-Algorithm') !== ALGORITHM) throw malformed(`X-Amz-Algorithm must be ${ALGORITHM}`);
  const expires = required('X-Amz-Expires');
  const expiresSeconds = Number(expires);
  if (!/^\d+$/.test(expires) || expiresSeconds < 1 || expiresSeconds > MAX_EXPIRES_SECONDS) {
    throw malformed(`X-Amz-Expires must be an integer from 1 to ${MAX_EXPIRES_SECONDS}`);
  }
  return {
    credential: required('X-Amz-Credential'),
    signedHeaders: required('X-Amz-SignedHeaders'),
    signature: required('X-Amz-Signature'),
    amzDate: required('X-Amz-Date'),
    expiresSeconds,
  };
}

/** The query as the signer saw it: every parameter but the signature, decoded (smithy encodes it again). */
function signedQuery(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    if (name === 'X-Amz-Signature') continue;
    const previous = Object.hasOwn(query, name) ? query[name] : undefined;
    query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

function safeDecodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw malformed('the path is not valid percent-encoding');
  }
}

const malformed = (detail: string) =>
  new SigV4Failure(
    'malformed',
    "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters and a valid 'X-Amz-Date'.",
    detail,
  );

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export interface JsonServiceAuthentication extends Omit<SigV4Check, 'now'> {
  now: Clock;
  /** The status the service answers a refused signature with. */
  status: number;
  /** Where the reason of a refusal goes (never to the caller). */
  log: (line: string) => void;
}

/**
 * The check as an AWS JSON or REST-JSON service (Cognito, SES, Rekognition, Textract) runs it on a request whose
 * body it has read: a refusal is the AwsError the service answers (JSON_SERVICE_EXCEPTION), its reason logged.
 */
export function jsonServiceAuthenticator(check: JsonServiceAuthentication) {
  const { status, log, now, ...rest } = check;
  return async (request: IncomingMessage, body: string | Uint8Array): Promise<SigV4Identity> => {
    try {
      return await checkSigV4(
        { method: request.method ?? 'POST', url: request.url ?? '/', headers: request.headers, body },
        { ...rest, now: now() },
      );
    } catch (error) {
      if (!(error instanceof SigV4Failure)) throw error;
      log(error.detail);
      throw new AwsError(JSON_SERVICE_EXCEPTION[error.kind], error.message, status);
    }
  };
}

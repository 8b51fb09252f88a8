/**
 * SigV4 checking for the admin operations (AdminGetUser, AdminDeleteUser), which Cognito authorises with IAM.
 * The request is re-signed with the configured credentials over exactly the headers the caller signed, and the
 * signatures compared; errors use the names and wording AWS JSON services use.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { CognitoError } from './errors';

export interface AdminCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const SERVICE = 'cognito-idp';
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

const invalidSignature = (message: string) => new CognitoError('InvalidSignatureException', message);

export async function verifySignature(request: SignedRequest, credentials: AdminCredentials, region: string, nowMs: number): Promise<void> {
  const authorization = request.headers.authorization;
  if (!authorization) throw new CognitoError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const match = AUTHORIZATION.exec(authorization);
  if (!match) throw new CognitoError('IncompleteSignatureException', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters in the AWS4-HMAC-SHA256 form.`);
  const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaderList, signature] = match as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) {
    throw new CognitoError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (scopeService !== SERVICE) throw invalidSignature(`Credential should be scoped to correct service: '${SERVICE}'.`);
  if (scopeRegion !== region) throw invalidSignature(`Credential should be scoped to a valid region, not '${scopeRegion}'.`);

  const amzDate = headerValue(request.headers, 'x-amz-date');
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate || !amzDate?.startsWith(scopeDate ?? '')) {
    throw new CognitoError('IncompleteSignatureException', 'X-Amz-Date must be present, in the form YYYYMMDDTHHMMSSZ, and match the credential scope date.');
  }
  if (Math.abs(nowMs - signingDate.getTime()) > MAX_SKEW_MS) {
    throw invalidSignature(`Signature expired: ${amzDate} is more than 15 minutes away from the server time ${new Date(nowMs).toISOString()}.`);
  }

  const signedHeaders = (signedHeaderList ?? '').split(';');
  if (!signedHeaders.includes('host')) throw invalidSignature("'Host' must be a signed header.");
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) throw invalidSignature(`Signed header '${name}' is missing from the request.`);
    headers[name] = value;
  }
  const signer = new SignatureV4({ credentials, region, service: SERVICE, sha256: Sha256, uriEscapePath: true });
  const resigned = await signer.sign(
    new HttpRequest({ method: request.method, protocol: 'http:', hostname: headers.host ?? '', path: request.path, headers, body: request.body }),
    { signingDate },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization ?? resigned.headers.Authorization))?.[1] ?? '';
  if (expected.length !== 64 || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature ?? ''))) {
    throw invalidSignature('The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.');
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

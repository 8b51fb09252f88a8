/**
 * Authentication of every S3 request the gate forwards (all but browser POST uploads, which their policy
 * authenticates): a valid SigV4 signature of a known access key, in the Authorization header or a presigned query.
 * s3rver itself serves anonymous requests, so nothing unsigned may reach it. Every body is read whole, and a
 * header-signed payload hash checked against it, before the request is forwarded. Refusals carry S3's codes.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readBody } from '../aws/body';
import { checkSigV4, SigV4Failure } from '../aws/sigv4';
import { S3Error } from './s3-error';

export interface S3AuthContext {
  region: string;
  /** Access key id -> secret access key. */
  credentials: Readonly<Record<string, string>>;
  now: number;
  /** Largest body read. */
  maxBodyBytes: number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Resolves with the whole body (forward that), or throws S3's refusal. */
export async function authenticateS3Request(req: IncomingMessage, context: S3AuthContext): Promise<{ body: Buffer }> {
  const fromHeader = req.headers.authorization !== undefined;
  try {
    await checkSigV4(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
      { service: 's3', region: context.region, credentials: context.credentials, now: context.now, uriEscapePath: false },
    );
  } catch (error) {
    if (!(error instanceof SigV4Failure)) throw error;
    throw s3Refusal(error, fromHeader, context.region);
  }
  const payloadHash = req.headers['x-amz-content-sha256'];
  const hashed = fromHeader && payloadHash !== undefined && payloadHash !== UNSIGNED_PAYLOAD;
  if (hashed && (typeof payloadHash !== 'string' || !HEX_SHA256.test(payloadHash))) {
    throw new S3Error('NotImplemented', 'The local S3 gate takes a payload hash or UNSIGNED-PAYLOAD, not aws-chunked uploads.', 501);
  }
  // An unhashed body is read whole too, outside the bucket's turn: forwarded as it came, a body sent slowly would hold
  // every other request to the bucket (they reach s3rver one at a time) for as long as its sender liked.
  const body = await readS3Body(req, context.maxBodyBytes);
  if (hashed && createHash('sha256').update(body).digest('hex') !== payloadHash) {
    throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400);
  }
  return { body };
}

function s3Refusal(failure: SigV4Failure, fromHeader: boolean, region: string): S3Error {
  switch (failure.kind) {
    case 'missing':
      return new S3Error('AccessDenied', 'Access Denied', 403);
    case 'unknown-key':
      return new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
    case 'mismatch':
      return new S3Error(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        403,
      );
    case 'expired':
      return fromHeader
        ? new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403)
        : new S3Error('AccessDenied', 'Request has expired', 403);
    case 'wrong-region':
      return fromHeader
        ? new S3Error(
            'AuthorizationHeaderMalformed',
            `The authorization header is malformed; the region is wrong; expecting '${region}'`,
            400,
            { Region: region },
          )
        : new S3Error(
            'AuthorizationQueryParametersError',
            `Error parsing the X-Amz-Credential parameter; the region is wrong; expecting '${region}'`,
            400,
            { Region: region },
          );
    default:
      return fromHeader
        ? new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed.', 400)
        : new S3Error(
            'AuthorizationQueryParametersError',
            'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, ' +
              'X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
            400,
          );
  }
}

/** The whole body up to `maxBytes`; past it, S3's EntityTooLarge. */
export function readS3Body(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return readBody(req, maxBytes).catch((error: unknown) => {
    if (error instanceof BodyTooLargeError) {
      throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
        ProposedSize: error.size,
        MaxSizeAllowed: error.limit,
      });
    }
    throw error;
  });
}

/**
 * SigV4 for the admin operations (AdminGetUser, AdminDeleteUser), which Cognito authorises with IAM: the shared
 * verifier (../aws/sigv4.ts), its refusals named as AWS JSON services name them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checkSigV4, credentialsOf, JSON_SERVICE_EXCEPTION, SigV4Failure } from '../aws/sigv4';
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

export async function verifySignature(request: SignedRequest, credentials: AdminCredentials, region: string, nowMs: number): Promise<void> {
  try {
    await checkSigV4(
      { method: request.method, url: request.path, headers: request.headers, body: request.body },
      { service: 'cognito-idp', region, credentials: credentialsOf(credentials), now: nowMs },
    );
  } catch (error) {
    if (!(error instanceof SigV4Failure)) throw error;
    console.warn(`[cognito] admin request refused: ${error.detail}`);
    throw new CognitoError(JSON_SERVICE_EXCEPTION[error.kind], error.message);
  }
}

/**
 * The emulator's HTTP face: Cognito's JSON 1.1 API on `POST /` (operation in `X-Amz-Target`), the JWKS, the dev
 * mailbox, and CORS for the app's origins (the browser app calls the API directly through aws-amplify).
 * The server listens on a loopback address only (checked at start), so the mailbox's codes stay on this machine.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { BodyTooLargeError, readBody } from '../aws/body';
import type { Mailbox } from '../mailbox/index';
import { CognitoError } from './errors';
import { verifySignature, type AdminCredentials } from './sigv4';
import type { TokenSigner } from './tokens';
import { UserPool } from './user-pool';

export interface HttpSettings {
  userPoolId: string;
  region: string;
  allowedOrigins: string[];
  adminCredentials: AdminCredentials;
  maxBodyBytes: number;
  now: () => number;
}

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const JSON_11 = 'application/x-amz-json-1.1';
/** What the AWS SDK and amplify v6 send (amplify adds `cache-control: no-store` and `x-amz-user-agent`). */
const ALLOWED_REQUEST_HEADERS = [
  'content-type',
  'x-amz-target',
  'x-amz-user-agent',
  'cache-control',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
];
const EXPOSED_HEADERS = 'x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage, date';

export function createRequestListener(
  settings: HttpSettings,
  pool: Promise<UserPool>,
  signer: Promise<TokenSigner>,
  mailbox: Mailbox,
): RequestListener {
  const jwksPaths = new Set(['/.well-known/jwks.json', `/${settings.userPoolId}/.well-known/jwks.json`]);

  return (req, res) => {
    void (async () => {
      const cors = corsHeaders(req, settings.allowedOrigins);
      for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
      const path = new URL(req.url ?? '/', 'http://emulator').pathname;

      if (req.method === 'OPTIONS') return preflight(req, res, cors);
      if (req.method === 'GET' && jwksPaths.has(path)) return sendJson(res, 200, (await signer).jwks(), 'application/json');
      if (req.method === 'GET' && (path === '/mailbox' || path.startsWith('/mailbox/'))) return serveMailbox(res, path, mailbox);
      if (req.method === 'POST' && path === '/') return serveOperation(req, res, settings, await pool);
      sendJson(res, 404, { message: `No route for ${req.method} ${path}` }, 'application/json');
    })().catch((error: unknown) => {
      console.error('[cognito] internal error', error);
      if (!res.headersSent) sendError(res, new CognitoError('InternalErrorException', 'Internal error in the Cognito emulator', 500));
      else res.destroy();
    });
  };
}

async function serveOperation(req: IncomingMessage, res: ServerResponse, settings: HttpSettings, pool: UserPool) {
  try {
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim();
    if (contentType !== JSON_11) throw new CognitoError('SerializationException', `Content-Type must be ${JSON_11}, not '${contentType}'.`);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operationName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const operation = Object.hasOwn(pool.operations, operationName) ? pool.operations[operationName] : undefined;
    if (!operation) {
      throw new CognitoError(
        'UnknownOperationException',
        `X-Amz-Target '${target}' is not an operation this emulator serves (${Object.keys(pool.operations).join(', ')}).`,
      );
    }
    const body = await readBody(req, settings.maxBodyBytes).then(
      (bytes) => bytes.toString('utf8'),
      (error: unknown) => {
        if (error instanceof BodyTooLargeError)
          throw new CognitoError('RequestEntityTooLargeException', `Request body exceeds the ${error.limit}-byte limit.`, 413);
        throw error;
      },
    );
    const input = parseJsonObject(body);
    if (UserPool.adminOperations.has(operationName)) {
      await verifySignature(
        { method: 'POST', path: '/', headers: req.headers, body },
        settings.adminCredentials,
        settings.region,
        settings.now(),
      );
    }
    const output = await operation(input, { awsSdkVersion: sdkVersionOf(req) });
    sendJson(res, 200, output, JSON_11);
  } catch (error) {
    if (!(error instanceof CognitoError)) throw error;
    sendError(res, error);
  }
}

function serveMailbox(res: ServerResponse, path: string, mailbox: Mailbox) {
  if (path === '/mailbox') return sendJson(res, 200, { messages: mailbox.all() }, 'application/json');
  let address: string;
  try {
    address = decodeURIComponent(path.slice('/mailbox/'.length));
  } catch {
    return sendJson(res, 400, { message: 'The mailbox address is not valid percent-encoding.' }, 'application/json');
  }
  sendJson(res, 200, { address, messages: mailbox.to(address) }, 'application/json');
}

function preflight(req: IncomingMessage, res: ServerResponse, cors: Record<string, string> | undefined) {
  if (!cors) return sendJson(res, 403, { message: `Origin '${req.headers.origin ?? ''}' is not allowed.` }, 'application/json');
  const method = String(req.headers['access-control-request-method'] ?? '');
  if (method !== 'POST' && method !== 'GET')
    return sendJson(res, 403, { message: `Method '${method}' is not allowed.` }, 'application/json');
  const requested = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const refused = requested.filter((h) => !ALLOWED_REQUEST_HEADERS.includes(h));
  if (refused.length > 0) return sendJson(res, 403, { message: `Request headers not allowed: ${refused.join(', ')}.` }, 'application/json');
  res.writeHead(204, {
    'access-control-allow-methods': 'POST, GET, OPTIONS',
    'access-control-allow-headers': ALLOWED_REQUEST_HEADERS.join(', '),
    'access-control-max-age': '600',
  });
  res.end();
}

function corsHeaders(req: IncomingMessage, allowedOrigins: string[]): Record<string, string> | undefined {
  const origin = req.headers.origin;
  if (!origin || !allowedOrigins.includes(origin)) return undefined;
  return { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': EXPOSED_HEADERS };
}

function parseJsonObject(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new CognitoError('SerializationException', `Malformed JSON request body: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CognitoError('SerializationException', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** Cognito's `callerContext.awsSdkVersion`: the AWS SDK for JavaScript names itself in its user agent. */
function sdkVersionOf(req: IncomingMessage): string {
  const agent = `${req.headers['x-amz-user-agent'] ?? ''} ${req.headers['user-agent'] ?? ''}`;
  const version = /aws-sdk-js\/(\d[\w.-]*)/.exec(agent)?.[1];
  return version ? `aws-sdk-js-${version}` : 'aws-sdk-unknown-unknown';
}

function sendError(res: ServerResponse, error: CognitoError) {
  res.setHeader('x-amzn-errortype', `${error.type}:`);
  sendJson(res, error.status, { __type: error.type, message: error.message }, JSON_11);
}

function sendJson(res: ServerResponse, status: number, body: unknown, contentType: string) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * The emulator's HTTP face: Cognito's JSON 1.1 API on `POST /` (the shared dispatcher, ../aws/json-protocol.ts), the
 * JWKS, the dev mailbox, and CORS for the app's origins (the browser app calls the API directly through
 * aws-amplify). Admin operations must carry a valid SigV4 signature of the admin credentials (verify mode); the
 * others are public, as in Cognito. The server listens on a loopback address only (checked at start), so the
 * mailbox's codes stay on this machine.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Clock } from '../aws/clock';
import { AwsError } from '../aws/errors';
import { createJsonProtocolListener } from '../aws/json-protocol';
import { sendJson, sendJsonError } from '../aws/listener';
import { requestTarget } from '../aws/request-reader';
import { credentialsOf, jsonServiceAuthenticator } from '../aws/sigv4';
import type { Mailbox } from '../mailbox/index';
import type { TokenSigner } from './tokens';
import { ADMIN_OPERATIONS, type Operation } from './user-pool';

export interface AdminCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface HttpSettings {
  userPoolId: string;
  region: string;
  allowedOrigins: string[];
  adminCredentials: AdminCredentials;
  maxBodyBytes: number;
  now: Clock;
}

/** What amplify v6 sends besides the AWS SDK's headers (`cache-control: no-store`, `x-amz-user-agent`). */
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

/** `pool` and `signer` resolve once the emulator knows its port (the issuer names it); requests wait meanwhile. */
export function createRequestListener(
  settings: HttpSettings,
  pool: Promise<Record<string, Operation>>,
  signer: Promise<TokenSigner>,
  mailbox: Mailbox,
): RequestListener {
  const jwksPaths = new Set(['/.well-known/jwks.json', `/${settings.userPoolId}/.well-known/jwks.json`]);
  const serveOperation = pool.then((operations) => operationListener(settings, operations));

  return (req, res) => {
    void (async () => {
      const cors = corsHeaders(req, settings.allowedOrigins);
      for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
      res.setHeader('cache-control', 'no-store');
      const path = requestTarget(req.url)?.pathname;

      if (req.method === 'OPTIONS') return preflight(req, res, cors);
      // A target that is no path is the JSON protocol's to refuse, in the shape of the API's other refusals.
      if (path === undefined || (req.method === 'POST' && path === '/')) return (await serveOperation)(req, res);
      if (req.method === 'GET' && jwksPaths.has(path)) return sendJson(res, 200, (await signer).jwks());
      if (req.method === 'GET' && (path === '/mailbox' || path.startsWith('/mailbox/'))) return serveMailbox(res, path, mailbox);
      sendJson(res, 404, { message: `No route for ${req.method} ${path}` });
    })().catch((error: unknown) => {
      console.error('[cognito] internal error', error);
      const failure = new AwsError('InternalErrorException', 'Internal error in the Cognito emulator', 500);
      if (!res.headersSent) sendJsonError(res, failure, { __type: failure.type, message: failure.message });
      else res.destroy();
    });
  };
}

function operationListener(settings: HttpSettings, operations: Record<string, Operation>): RequestListener {
  const checkSignature = jsonServiceAuthenticator({
    service: 'cognito-idp',
    region: settings.region,
    credentials: credentialsOf(settings.adminCredentials),
    now: settings.now,
    status: 400,
    log: (reason) => console.warn(`[cognito] admin request refused: ${reason}`),
  });
  const table = Object.fromEntries(
    Object.entries(operations).map(([name, operation]) => [
      name,
      (input: Record<string, unknown>, request?: IncomingMessage) => operation(input, { awsSdkVersion: sdkVersionOf(request) }),
    ]),
  );
  return createJsonProtocolListener({
    targetPrefix: 'AWSCognitoIdentityProviderService.',
    operations: table,
    maxRequestBytes: settings.maxBodyBytes,
    errorBody: (error) => ({ message: error.message }),
    errorTypeHeader: (type) => `${type}:`,
    authenticate: async (request, body, operation) => {
      if (operation !== undefined && ADMIN_OPERATIONS.has(operation)) await checkSignature(request, body);
    },
    internalError: () => new AwsError('InternalErrorException', 'Internal error in the Cognito emulator', 500),
    logError: (error) => console.error('[cognito] internal error', error),
  });
}

function serveMailbox(res: ServerResponse, path: string, mailbox: Mailbox) {
  if (path === '/mailbox') return sendJson(res, 200, { messages: mailbox.all() });
  let address: string;
  try {
    address = decodeURIComponent(path.slice('/mailbox/'.length));
  } catch {
    return sendJson(res, 400, { message: 'The mailbox address is not valid percent-encoding.' });
  }
  sendJson(res, 200, { address, messages: mailbox.to(address) });
}

function preflight(req: IncomingMessage, res: ServerResponse, cors: Record<string, string> | undefined) {
  if (!cors) return sendJson(res, 403, { message: `Origin '${req.headers.origin ?? ''}' is not allowed.` });
  const method = String(req.headers['access-control-request-method'] ?? '');
  if (method !== 'POST' && method !== 'GET') return sendJson(res, 403, { message: `Method '${method}' is not allowed.` });
  const requested = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const refused = requested.filter((h) => !ALLOWED_REQUEST_HEADERS.includes(h));
  if (refused.length > 0) return sendJson(res, 403, { message: `Request headers not allowed: ${refused.join(', ')}.` });
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

/** Cognito's `callerContext.awsSdkVersion`: the AWS SDK for JavaScript names itself in its user agent. */
function sdkVersionOf(req: IncomingMessage | undefined): string {
  const agent = `${req?.headers['x-amz-user-agent'] ?? ''} ${req?.headers['user-agent'] ?? ''}`;
  const version = /aws-sdk-js\/(\d[\w.-]*)/.exec(agent)?.[1];
  return version ? `aws-sdk-js-${version}` : 'aws-sdk-unknown-unknown';
}

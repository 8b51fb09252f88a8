/**
 * The AWS JSON 1.1 protocol as Rekognition speaks it: `POST /` with `X-Amz-Target: RekognitionService.<Operation>`
 * and a JSON body; answers in `application/x-amz-json-1.1`; errors carry the exception name in `x-amzn-ErrorType`
 * and `__type`, which is what the SDK reads to raise the matching exception class.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { RekognitionError, type OperationTable } from './operation';

export const TARGET_PREFIX = 'RekognitionService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const ACCEPTED_CONTENT_TYPES = new Set([CONTENT_TYPE, 'application/json']);
/** Two 5 MB images base64-encoded (CompareFaces) fit; anything larger cannot be a valid request. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** Any well-formed SigV4 header passes: the local stack checks the form of the signature, not the account. */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/[^/\s,]+\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

/** Exceptions Rekognition models carry `Code` and `Logref` besides `Message`; the generic AWS ones only a message. */
const GENERIC_AWS_ERRORS = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'UnknownOperationException',
  'SerializationException',
  'ValidationException',
  'RequestEntityTooLargeException',
  'RequestAbortedException',
]);

/** Reads the body up to the limit; past it, refuses without buffering the rest. */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > MAX_REQUEST_BYTES) {
      reject(tooLarge(declared));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_REQUEST_BYTES) {
        request.removeAllListeners('data');
        reject(tooLarge(received));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
    // A client that hangs up mid-body never sends 'end'; settle so the request is not left pending.
    request.on('close', () => {
      if (!request.complete) reject(new RekognitionError('RequestAbortedException', 'The client closed the request before its body ended'));
    });
  });
}

function tooLarge(bytes: number): RekognitionError {
  return new RekognitionError(
    'RequestEntityTooLargeException',
    `Request body of at least ${bytes} bytes exceeds the limit of ${MAX_REQUEST_BYTES} bytes`,
    413,
  );
}

function send(response: ServerResponse, status: number, requestId: string, body: unknown, errorType?: string): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': payload.length,
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(payload);
}

function sendError(response: ServerResponse, requestId: string, error: RekognitionError): void {
  const body = GENERIC_AWS_ERRORS.has(error.type)
    ? { __type: error.type, Message: error.message }
    : { __type: error.type, Code: error.type, Logref: requestId, Message: error.message };
  send(response, error.status, requestId, body, error.type);
}

function checkAuthorization(request: IncomingMessage): void {
  const authorization = request.headers.authorization;
  if (!authorization) {
    throw new RekognitionError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  }
  if (!SIGV4_AUTHORIZATION.test(authorization)) {
    throw new RekognitionError(
      'IncompleteSignatureException',
      'Authorization header requires AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature',
      403,
    );
  }
}

function findOperation(request: IncomingMessage, operations: OperationTable): OperationTable[string] {
  const target = request.headers['x-amz-target'];
  const name = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  const operation = name !== undefined && Object.hasOwn(operations, name) ? operations[name] : undefined;
  if (request.method !== 'POST' || (request.url ?? '/').split('?')[0] !== '/' || !operation) {
    throw new RekognitionError('UnknownOperationException', `Unknown operation ${String(target ?? `${request.method} ${request.url}`)}`);
  }
  return operation;
}

function parseBody(request: IncomingMessage, body: Buffer): Record<string, unknown> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
    throw new RekognitionError('SerializationException', `Content-Type must be ${CONTENT_TYPE}, got '${contentType}'`);
  }
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new RekognitionError('SerializationException', `Request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RekognitionError('SerializationException', 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** The HTTP listener for a table of operations; unexpected failures are logged and answered as InternalServerError. */
export function createJsonProtocolListener(operations: OperationTable, logError: (error: unknown) => void): RequestListener {
  return (request, response) => {
    const requestId = randomUUID();
    const handle = async (): Promise<Record<string, unknown>> => {
      checkAuthorization(request);
      const operation = findOperation(request, operations);
      const body = await readBody(request);
      return operation(parseBody(request, body));
    };
    handle().then(
      (output) => send(response, 200, requestId, output),
      (error: unknown) => {
        if (error instanceof RekognitionError) {
          // A refused body may still be arriving: close the connection instead of reading the rest.
          if (!request.complete) response.setHeader('connection', 'close');
          sendError(response, requestId, error);
        } else {
          logError(error);
          sendError(response, requestId, new RekognitionError('InternalServerError', 'Amazon Rekognition experienced a service issue', 500));
        }
      },
    );
  };
}

/**
 * The AWS JSON 1.1 protocol as Rekognition and Textract speak it: `POST /` with `X-Amz-Target: <prefix><Operation>`
 * (`RekognitionService.`, `Textract.`) and a JSON body; answers in `application/x-amz-json-1.1`; errors carry the
 * exception name in `x-amzn-ErrorType` and `__type`, which is what the SDK reads to raise the matching exception class.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ServiceError, type OperationTable } from './operation';

/** What differs between the services served with this protocol. */
export interface JsonProtocolService {
  /** `X-Amz-Target` is this prefix and the operation name. */
  targetPrefix: string;
  /** As the InternalServerError message names the service, e.g. `Amazon Rekognition`. */
  title: string;
  /** What the service's own exceptions carry besides `__type` and `Message`. */
  errorMembers(type: string, requestId: string): Record<string, string>;
  /** Larger bodies cannot be a valid request and are refused before they are read. */
  maxRequestBytes: number;
}

export const REKOGNITION_SERVICE: JsonProtocolService = {
  targetPrefix: 'RekognitionService.',
  title: 'Amazon Rekognition',
  errorMembers: (type, requestId) => ({ Code: type, Logref: requestId }),
  // Two 5 MB images base64-encoded (CompareFaces) fit.
  maxRequestBytes: 16 * 1024 * 1024,
};
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const ACCEPTED_CONTENT_TYPES = new Set([CONTENT_TYPE, 'application/json']);

/** Any well-formed SigV4 header passes: the local stack checks the form of the signature, not the account. */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/[^/\s,]+\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

/** The generic AWS exceptions carry only a message; the service's own ones more (`JsonProtocolService.errorMembers`). */
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
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (declared > maxBytes) {
      reject(tooLarge(declared, maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        request.removeAllListeners('data');
        reject(tooLarge(received, maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
    // A client that hangs up mid-body never sends 'end'; settle so the request is not left pending.
    request.on('close', () => {
      if (!request.complete) reject(new ServiceError('RequestAbortedException', 'The client closed the request before its body ended'));
    });
  });
}

function tooLarge(bytes: number, maxBytes: number): ServiceError {
  return new ServiceError(
    'RequestEntityTooLargeException',
    `Request body of at least ${bytes} bytes exceeds the limit of ${maxBytes} bytes`,
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

function sendError(response: ServerResponse, requestId: string, error: ServiceError, service: JsonProtocolService): void {
  const body = GENERIC_AWS_ERRORS.has(error.type)
    ? { __type: error.type, Message: error.message }
    : { __type: error.type, ...service.errorMembers(error.type, requestId), Message: error.message };
  send(response, error.status, requestId, body, error.type);
}

function checkAuthorization(request: IncomingMessage): void {
  const authorization = request.headers.authorization;
  if (!authorization) {
    throw new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  }
  if (!SIGV4_AUTHORIZATION.test(authorization)) {
    throw new ServiceError(
      'IncompleteSignatureException',
      'Authorization header requires AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature',
      403,
    );
  }
}

function findOperation(request: IncomingMessage, operations: OperationTable, targetPrefix: string): OperationTable[string] {
  const target = request.headers['x-amz-target'];
  const name = typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : undefined;
  const operation = name !== undefined && Object.hasOwn(operations, name) ? operations[name] : undefined;
  if (request.method !== 'POST' || (request.url ?? '/').split('?')[0] !== '/' || !operation) {
    throw new ServiceError('UnknownOperationException', `Unknown operation ${String(target ?? `${request.method} ${request.url}`)}`);
  }
  return operation;
}

function parseBody(request: IncomingMessage, body: Buffer): Record<string, unknown> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
    throw new ServiceError('SerializationException', `Content-Type must be ${CONTENT_TYPE}, got '${contentType}'`);
  }
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ServiceError('SerializationException', `Request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServiceError('SerializationException', 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** The HTTP listener for a table of operations; unexpected failures are logged and answered as InternalServerError. */
export function createJsonProtocolListener(
  operations: OperationTable,
  logError: (error: unknown) => void,
  service: JsonProtocolService = REKOGNITION_SERVICE,
): RequestListener {
  return (request, response) => {
    const requestId = randomUUID();
    const handle = async (): Promise<Record<string, unknown>> => {
      checkAuthorization(request);
      const operation = findOperation(request, operations, service.targetPrefix);
      const body = await readBody(request, service.maxRequestBytes);
      return operation(parseBody(request, body));
    };
    handle().then(
      (output) => send(response, 200, requestId, output),
      (error: unknown) => {
        if (error instanceof ServiceError) {
          // A refused body may still be arriving: close the connection instead of reading the rest.
          if (!request.complete) response.setHeader('connection', 'close');
          sendError(response, requestId, error, service);
        } else {
          logError(error);
          sendError(
            response,
            requestId,
            new ServiceError('InternalServerError', `${service.title} experienced a service issue`, 500),
            service,
          );
        }
      },
    );
  };
}

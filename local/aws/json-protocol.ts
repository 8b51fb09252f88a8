/**
 * The AWS JSON 1.1 protocol, as Cognito, Rekognition and Textract speak it: `POST /` with
 * `X-Amz-Target: <prefix><Operation>` and a JSON object body, answered in `application/x-amz-json-1.1`. A refusal
 * (an AwsError) carries its exception name in `x-amzn-ErrorType` and `__type`, from which the SDK raises the matching
 * exception class; what else its body holds is the service's (`errorBody`). Anything else thrown is logged and
 * answered as the service's internal error, without its text.
 *
 * Steps, in AWS's order: check that the request target is a path, read the body (size-capped), authenticate (the
 * service's SigV4 check), find the operation, parse the body, run the operation.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener } from 'node:http';
import { readBody } from './body';
import { AwsError } from './errors';
import { sendJson } from './listener';
import { requestTarget } from './request-reader';

/** An operation takes the parsed request body (and the request, for what its headers say) and returns the response body. */
export type JsonOperation = (input: Record<string, unknown>, request?: IncomingMessage) => Promise<Record<string, unknown>>;

export type OperationTable = Record<string, JsonOperation>;

export interface JsonProtocolService {
  /** `X-Amz-Target` is this prefix and the operation name, e.g. `RekognitionService.`. */
  targetPrefix: string;
  operations: OperationTable;
  /** Larger bodies cannot be a valid request and are refused before they are read. */
  maxRequestBytes: number;
  /** The refusal's body besides `__type`: e.g. `{ message }` (Cognito) or `{ Code, Logref, Message }` (Rekognition). */
  errorBody(error: AwsError, requestId: string): Record<string, unknown>;
  /** The `x-amzn-ErrorType` header; default the exception name. */
  errorTypeHeader?: (type: string) => string;
  /** Throws the AwsError the service answers an unauthenticated request with; `operation` as the target names it. */
  authenticate(request: IncomingMessage, body: Buffer, operation: string | undefined): Promise<void>;
  /** What an unexpected failure is answered as (the failure itself goes to `logError`). */
  internalError: () => AwsError;
  logError: (error: unknown) => void;
}

export const JSON_11 = 'application/x-amz-json-1.1';
const ACCEPTED_CONTENT_TYPES = new Set([JSON_11, 'application/json']);

/** The exceptions every AWS JSON service shares, which carry only a message whatever the service adds to its own. */
const COMMON_EXCEPTIONS = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'UnknownOperationException',
  'SerializationException',
  'ValidationException',
  'RequestEntityTooLargeException',
  'RequestAbortedException',
]);

export function isCommonException(type: string): boolean {
  return COMMON_EXCEPTIONS.has(type);
}

/** Answers `POST /` for the service's operations; anything else is UnknownOperationException. */
export function createJsonProtocolListener(service: JsonProtocolService): RequestListener {
  return (request, response) => {
    const requestId = randomUUID();
    serve(request, service).then(
      (output) => sendJson(response, 200, output, { 'content-type': JSON_11, 'x-amzn-requestid': requestId }),
      (error: unknown) => {
        if (!(error instanceof AwsError)) {
          service.logError(error);
          error = service.internalError();
        }
        const refusal = error as AwsError;
        if (response.headersSent) return response.destroy();
        // A refused body may still be arriving: close the connection instead of reading the rest.
        if (!request.complete) response.setHeader('connection', 'close');
        sendJson(
          response,
          refusal.status,
          { __type: refusal.type, ...service.errorBody(refusal, requestId) },
          {
            'content-type': JSON_11,
            'x-amzn-requestid': requestId,
            'x-amzn-errortype': service.errorTypeHeader?.(refusal.type) ?? refusal.type,
          },
        );
      },
    );
  };
}

async function serve(request: IncomingMessage, service: JsonProtocolService): Promise<Record<string, unknown>> {
  if (!requestTarget(request.url)) throw new AwsError('SerializationException', 'The request target is not a path.');
  const target = request.headers['x-amz-target'];
  const name =
    typeof target === 'string' && target.startsWith(service.targetPrefix) ? target.slice(service.targetPrefix.length) : undefined;
  const body = await readBody(request, service.maxRequestBytes);
  await service.authenticate(request, body, name);
  const operation = name !== undefined && Object.hasOwn(service.operations, name) ? service.operations[name] : undefined;
  if (request.method !== 'POST' || (request.url ?? '/').split('?')[0] !== '/' || !operation) {
    throw new AwsError('UnknownOperationException', `Unknown operation ${String(target ?? `${request.method} ${request.url}`)}`);
  }
  return operation(parseJsonObject(request, body), request);
}

function parseJsonObject(request: IncomingMessage, body: Buffer): Record<string, unknown> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
    throw new AwsError('SerializationException', `Content-Type must be ${JSON_11}, not '${contentType}'.`);
  }
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AwsError('SerializationException', 'Malformed JSON request body.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

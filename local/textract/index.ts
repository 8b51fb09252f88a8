/**
 * The local Textract stand-in: AnalyzeID over Textract's JSON 1.1 protocol (`X-Amz-Target: Textract.AnalyzeID`) on
 * loopback, on the shared JSON protocol (../aws/json-protocol.ts) and Rekognition's signature check, so that the functions' Textract client reaches it
 * through AWS_ENDPOINT_URL_TEXTRACT and nothing else changes.
 *
 *   const server = await startTextractServer({ port: 4582, s3: { endpoint, region, credentials } });
 *   // server.endpoint, then: await server.close();
 *
 * One OCR worker reads one page at a time; up to `maxQueuedPages` (default 16) wait, more are refused with
 * ThrottlingException, which the SDK retries.
 */
import type { Clock } from '../aws/clock';
import { AwsError } from '../aws/errors';
import { createJsonProtocolListener, isCommonException } from '../aws/json-protocol';
import { startListener } from '../aws/listener';
import { AnalysisLimiter } from '../rekognition/server/analysis-limiter';
import { ImageSource, type S3Settings } from '../rekognition/server/image-source';
import { signatureCheck } from '../rekognition/server/index';
import { createAnalyzeIdOperation, MAX_DOCUMENT_BYTES, MAX_PAGES } from './analyze-id';
import { TextReader } from './text-reader';

/** Two pages of 10 MB, base64-encoded. */
const MAX_REQUEST_BYTES = Math.ceil((MAX_PAGES * MAX_DOCUMENT_BYTES * 4) / 3) + 64 * 1024;

export interface TextractServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4582; 0 picks a free port. */
  port?: number;
  /** Where S3Object documents are read from; without it they are refused with InvalidS3ObjectException. */
  s3?: S3Settings;
  maxQueuedPages?: number;
  /** Default us-east-1: the region requests must be signed for. */
  region?: string;
  /** Access key id -> secret: when given, only valid signatures of these keys pass; else any well-formed one. */
  credentials?: Readonly<Record<string, string>>;
  now?: Clock;
  /** Where failures that are not Textract errors are reported; defaults to console.error. */
  logError?: (error: unknown) => void;
}

export interface TextractServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startTextractServer(options: TextractServerOptions = {}): Promise<TextractServer> {
  const { host = '127.0.0.1', port = 4582 } = options;
  const reader = await TextReader.create();
  const documents = new ImageSource(options.s3, {
    maxBytes: MAX_DOCUMENT_BYTES,
    tooLarge: (bytes) =>
      new AwsError('DocumentTooLargeException', `Document of ${bytes} bytes exceeds the limit of ${MAX_DOCUMENT_BYTES} bytes`),
  });
  const limiter = new AnalysisLimiter(1, options.maxQueuedPages ?? 16);
  const operations = createAnalyzeIdOperation({ reader, documents, limiter });
  const release = async () => {
    documents.close();
    await reader.close();
  };
  const listener = await startListener(
    createJsonProtocolListener({
      targetPrefix: 'Textract.',
      operations,
      maxRequestBytes: MAX_REQUEST_BYTES,
      // Textract's own exceptions carry a Code beside the Message.
      errorBody: (error) => (isCommonException(error.type) ? { Message: error.message } : { Code: error.type, Message: error.message }),
      authenticate: signatureCheck('textract', options.region ?? 'us-east-1', options),
      internalError: () => new AwsError('InternalServerError', 'Amazon Textract experienced a service issue', 500),
      logError: options.logError ?? ((error) => console.error(error)),
    }),
    { host, port, finishRequestsOnClose: true },
  ).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  return {
    endpoint: listener.endpoint,
    close: async () => {
      try {
        await listener.close();
      } finally {
        await release();
      }
    },
  };
}

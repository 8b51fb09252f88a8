/**
 * The local Textract stand-in: AnalyzeID over Textract's JSON 1.1 protocol (`X-Amz-Target: Textract.AnalyzeID`) on
 * loopback, served as the local Rekognition is (startImageServer: the shared JSON protocol and SigV4 check), so that
 * the functions' Textract client reaches it through AWS_ENDPOINT_URL_TEXTRACT and nothing else changes.
 *
 *   const server = await startTextractServer({ port: 4582, s3: { endpoint, region, credentials } });
 *   // server.endpoint, then: await server.close();
 *
 * One OCR worker reads one page at a time; up to `maxQueuedPages` (default 16) wait, more are refused with
 * ThrottlingException, which the SDK retries.
 */
import { AwsError } from '../aws/errors';
import { AnalysisLimiter } from '../rekognition/server/analysis-limiter';
import { ImageSource, type S3Settings } from '../rekognition/server/image-source';
import { startImageServer, type ImageServerChecks } from '../rekognition/server/index';
import { createAnalyzeIdOperation, MAX_DOCUMENT_BYTES, MAX_PAGES } from './analyze-id';
import { TextReader } from './text-reader';

/** Two pages of 10 MB, base64-encoded. */
const MAX_REQUEST_BYTES = Math.ceil((MAX_PAGES * MAX_DOCUMENT_BYTES * 4) / 3) + 64 * 1024;

export interface TextractServerOptions extends ImageServerChecks {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4582; 0 picks a free port. */
  port?: number;
  /** Where S3Object documents are read from; without it they are refused with InvalidS3ObjectException. */
  s3?: S3Settings;
  maxQueuedPages?: number;
  /** Default us-east-1: the region requests must be signed for. */
  region?: string;
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
  return startImageServer(
    {
      service: 'textract',
      title: 'Amazon Textract',
      targetPrefix: 'Textract.',
      region: options.region ?? 'us-east-1',
      operations,
      maxRequestBytes: MAX_REQUEST_BYTES,
      // Textract's own exceptions carry a Code beside the Message.
      exceptionMembers: (type) => ({ Code: type }),
      host,
      port,
      release: async () => {
        documents.close();
        await reader.close();
      },
    },
    options,
  );
}

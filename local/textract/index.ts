/**
 * The local Textract stand-in: AnalyzeID over Textract's JSON 1.1 protocol (`X-Amz-Target: Textract.AnalyzeID`) on
 * loopback, on the same protocol code as the local Rekognition, so that the functions' Textract client reaches it
 * through AWS_ENDPOINT_URL_TEXTRACT and nothing else changes.
 *
 *   const server = await startTextractServer({ port: 4582, s3: { endpoint, region, credentials } });
 *   // server.endpoint, then: await server.close();
 *
 * One OCR worker reads one page at a time; up to `maxQueuedPages` (default 16) wait, more are refused with
 * ThrottlingException, which the SDK retries.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnalysisLimiter } from '../rekognition/server/analysis-limiter';
import { ImageSource, type S3Settings } from '../rekognition/server/image-source';
import { ServiceError } from '../rekognition/server/operation';
import { createJsonProtocolListener, type JsonProtocolService } from '../rekognition/server/protocol';
import { createAnalyzeIdOperation, MAX_DOCUMENT_BYTES, MAX_PAGES } from './analyze-id';
import { TextReader } from './text-reader';

const TEXTRACT_SERVICE: JsonProtocolService = {
  targetPrefix: 'Textract.',
  title: 'Amazon Textract',
  // Textract's exceptions carry a Code beside the Message.
  errorMembers: (type) => ({ Code: type }),
  // Two pages of 10 MB, base64-encoded.
  maxRequestBytes: Math.ceil((MAX_PAGES * MAX_DOCUMENT_BYTES * 4) / 3) + 64 * 1024,
};

export interface TextractServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4582; 0 picks a free port. */
  port?: number;
  /** Where S3Object documents are read from; without it they are refused with InvalidS3ObjectException. */
  s3?: S3Settings;
  maxQueuedPages?: number;
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
      new ServiceError('DocumentTooLargeException', `Document of ${bytes} bytes exceeds the limit of ${MAX_DOCUMENT_BYTES} bytes`),
  });
  const limiter = new AnalysisLimiter(1, options.maxQueuedPages ?? 16);
  const operations = createAnalyzeIdOperation({ reader, documents, limiter });
  const server = createServer(
    createJsonProtocolListener(operations, options.logError ?? ((error) => console.error(error)), TEXTRACT_SERVICE),
  );
  const release = async () => {
    documents.close();
    await reader.close();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://${address.address}:${address.port}`,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      await release();
    },
  };
}

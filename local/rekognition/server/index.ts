/**
 * The local Rekognition-compatible server: Rekognition's JSON 1.1 API over plain HTTP on loopback.
 *
 *   const server = await startRekognitionServer({
 *     port: 4580,                       // 0 picks a free port
 *     dataDir: '.local-data/rekognition', // collections persist in <dataDir>/collections/
 *     s3: { endpoint: 'http://127.0.0.1:4569', region: 'us-east-1', credentials: { accessKeyId, secretAccessKey } },
 *     extraOperations: livenessOperations, // e.g. CreateFaceLivenessSession, GetFaceLivenessSessionResults
 *   });
 *   // point the SDK at server.endpoint (AWS_ENDPOINT_URL_REKOGNITION), then: await server.close();
 *
 * The operation table is composed explicitly: `createImageOperations({ engine, store, images, limiter })` gives the image
 * and collection operations, `extraOperations` adds others (a name served twice is a startup error). Every
 * operation receives the parsed JSON body and answers the JSON response, or throws an AwsError. Requests need a SigV4
 * signature (../../aws/sigv4.ts): with `credentials`, a valid one of those keys (the local stack's functions sign with
 * its credentials); without, any key of the right form passes (standalone use and tests, whose callers may sign with
 * anything). Bodies are capped at 16 MB. At most
 * `maxConcurrentAnalyses` images (default 2) are analysed at once and `maxQueuedAnalyses` (default 32) wait; more
 * are refused with ThrottlingException.
 */
import type { Clock } from '../../aws/clock';
import { AwsError } from '../../aws/errors';
import { createJsonProtocolListener, isCommonException, type JsonProtocolService, type OperationTable } from '../../aws/json-protocol';
import { startListener } from '../../aws/listener';
import { jsonServiceAuthenticator } from '../../aws/sigv4';
import { CollectionStore } from '../collections/store';
import { createFaceEngine } from '../engine';
import type { FaceEngine } from '../engine/types';
import { AnalysisLimiter } from './analysis-limiter';
import { createImageOperations } from './image-operations';
import { ImageSource, type S3Settings } from './image-source';

export { AnalysisLimiter } from './analysis-limiter';
export { createImageOperations } from './image-operations';
export { ImageSource, type S3Settings } from './image-source';
export { CollectionStore } from '../collections/store';

export interface RekognitionServerOptions {
  /** Default 127.0.0.1: the local stack listens on loopback only. */
  host?: string;
  /** Default 4580; 0 picks a free port. */
  port?: number;
  dataDir: string;
  /** Where S3Object images are read from; without it, S3Object requests are refused with InvalidS3ObjectException. */
  s3?: S3Settings;
  /** Region and account written into CollectionArn; defaults us-east-1 and 000000000000. */
  region?: string;
  accountId?: string;
  /** Defaults to a new engine from createFaceEngine(). */
  engine?: FaceEngine;
  extraOperations?: OperationTable;
  maxConcurrentAnalyses?: number;
  maxQueuedAnalyses?: number;
  /** Access key id -> secret: when given, only valid signatures of these keys pass; else any well-formed one. */
  credentials?: Readonly<Record<string, string>>;
  now?: Clock;
  /** Where failures that are not Rekognition errors are reported; defaults to console.error. */
  logError?: (error: unknown) => void;
}

export interface RekognitionServer {
  /** e.g. http://127.0.0.1:4580 */
  endpoint: string;
  close(): Promise<void>;
}

/** Combines operation tables, refusing a name that two of them define. */
export function combineOperations(...tables: OperationTable[]): OperationTable {
  const combined: OperationTable = {};
  for (const table of tables) {
    for (const [name, operation] of Object.entries(table)) {
      if (Object.hasOwn(combined, name)) throw new Error(`Rekognition operation ${name} is defined twice`);
      combined[name] = operation;
    }
  }
  return combined;
}

/** Rekognition's and Textract's check: a valid signature of `credentials` if given, else one of the right form. */
export function signatureCheck(
  service: string,
  region: string,
  options: { credentials?: Readonly<Record<string, string>>; now?: Clock },
): JsonProtocolService['authenticate'] {
  const check = jsonServiceAuthenticator({
    service,
    region,
    credentials: options.credentials ?? {},
    mode: options.credentials ? 'verify' : 'shape',
    now: options.now ?? Date.now,
    status: 403,
    log: (reason) => console.warn(`[${service}] request refused: ${reason}`),
  });
  return async (request, body) => {
    await check(request, body);
  };
}

/** Two 5 MB images base64-encoded (CompareFaces) fit. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export async function startRekognitionServer(options: RekognitionServerOptions): Promise<RekognitionServer> {
  const { host = '127.0.0.1', port = 4580, dataDir, region = 'us-east-1', accountId = '000000000000' } = options;
  const store = await CollectionStore.open({ dataDir, region, accountId });
  const engine = options.engine ?? (await createFaceEngine());
  const images = new ImageSource(options.s3);
  const limiter = new AnalysisLimiter(options.maxConcurrentAnalyses ?? 2, options.maxQueuedAnalyses ?? 32);
  const operations = combineOperations(createImageOperations({ engine, store, images, limiter }), options.extraOperations ?? {});
  const logError = options.logError ?? ((error) => console.error(error));
  const listener = await startListener(
    createJsonProtocolListener({
      targetPrefix: 'RekognitionService.',
      operations,
      maxRequestBytes: MAX_REQUEST_BYTES,
      // Rekognition's own exceptions carry a Code and a Logref; the common ones a Message only.
      errorBody: (error, requestId) =>
        isCommonException(error.type) ? { Message: error.message } : { Code: error.type, Logref: requestId, Message: error.message },
      authenticate: signatureCheck('rekognition', region, options),
      internalError: () => new AwsError('InternalServerError', 'Amazon Rekognition experienced a service issue', 500),
      logError,
    }),
    { host, port, finishRequestsOnClose: true },
  ).catch((error: unknown) => {
    images.close();
    throw error;
  });
  return {
    endpoint: listener.endpoint,
    close: async () => {
      try {
        await listener.close();
      } finally {
        images.close();
      }
    },
  };
}

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
 * The operation table is composed explicitly: `createImageOperations({ engine, store, images })` gives the image
 * and collection operations, `extraOperations` adds others (a name served twice is a startup error). Every
 * operation receives the parsed JSON body and answers the JSON response, or throws an AwsError. Requests need a SigV4
 * signature (../../aws/sigv4.ts): with `credentials`, a valid one of those keys (the local stack's functions sign with
 * its credentials); without, any key of the right form passes (standalone use and tests, whose callers may sign with
 * anything). Bodies are capped at 16 MB. Images are analysed by `engine`, normally the interactive lane of a face
 * engine pool (../engine-pool), which refuses an image with ThrottlingException when it cannot start soon enough.
 */
import type { Clock } from '../../aws/clock';
import { AwsError } from '../../aws/errors';
import { createJsonProtocolListener, isCommonException, type OperationTable } from '../../aws/json-protocol';
import { startListener } from '../../aws/listener';
import { jsonServiceAuthenticator } from '../../aws/sigv4';
import { CollectionStore } from '../collections/store';
import type { FaceEngine } from '../engine/types';
import { startFaceEnginePool } from '../engine-pool/index';
import { createImageOperations } from './image-operations';
import { ImageSource, type S3Settings } from './image-source';

export { createImageOperations } from './image-operations';
export { ImageSource, type S3Settings } from './image-source';
export { CollectionStore } from '../collections/store';

export interface RekognitionServerOptions extends ImageServerChecks {
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
  /** Defaults to the interactive lane of a pool of its own (closed with the server), sized to the cores. */
  engine?: FaceEngine;
  extraOperations?: OperationTable;
}

/** How the image servers (Rekognition, Textract) check signatures and report failures. */
export interface ImageServerChecks {
  /** Access key id -> secret: when given, only valid signatures of these keys pass; else any well-formed one. */
  credentials?: Readonly<Record<string, string>>;
  now?: Clock;
  /** Where failures that are not the service's own refusals are reported; defaults to console.error. */
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

/** What differs between the image servers: the service, its operations, and what its own exceptions carry. */
export interface ImageServerSpec {
  /** The signing name, e.g. `rekognition`. */
  service: string;
  /** As the internal error names it, e.g. `Amazon Rekognition`. */
  title: string;
  targetPrefix: string;
  region: string;
  operations: OperationTable;
  maxRequestBytes: number;
  /** Members of the service's own exceptions besides `__type` and `Message` (the common ones have none). */
  exceptionMembers(type: string, requestId: string): Record<string, string>;
  host: string;
  port: number;
  /** Frees what the operations hold, once the server has stopped (or failed to start). */
  release(): Promise<void>;
}

/**
 * Serves an image service on the shared JSON protocol, its signatures checked by the shared verifier: valid ones of
 * `credentials` if given, else any of the right form.
 */
export async function startImageServer(spec: ImageServerSpec, checks: ImageServerChecks): Promise<RekognitionServer> {
  const checkSignature = jsonServiceAuthenticator({
    service: spec.service,
    region: spec.region,
    credentials: checks.credentials ?? {},
    mode: checks.credentials ? 'verify' : 'shape',
    now: checks.now ?? Date.now,
    status: 403,
    log: (reason) => console.warn(`[${spec.service}] request refused: ${reason}`),
  });
  const listener = await startListener(
    createJsonProtocolListener({
      targetPrefix: spec.targetPrefix,
      operations: spec.operations,
      maxRequestBytes: spec.maxRequestBytes,
      errorBody: (error, requestId) =>
        isCommonException(error.type)
          ? { Message: error.message }
          : { ...spec.exceptionMembers(error.type, requestId), Message: error.message },
      authenticate: async (request, body) => {
        await checkSignature(request, body);
      },
      internalError: () => new AwsError('InternalServerError', `${spec.title} experienced a service issue`, 500),
      logError: checks.logError ?? ((error) => console.error(error)),
    }),
    { host: spec.host, port: spec.port, finishRequestsOnClose: true },
  ).catch(async (error: unknown) => {
    await spec.release();
    throw error;
  });
  return {
    endpoint: listener.endpoint,
    close: async () => {
      try {
        await listener.close();
      } finally {
        await spec.release();
      }
    },
  };
}

/** Two 5 MB images base64-encoded (CompareFaces) fit. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export async function startRekognitionServer(options: RekognitionServerOptions): Promise<RekognitionServer> {
  const { host = '127.0.0.1', port = 4580, dataDir, region = 'us-east-1', accountId = '000000000000' } = options;
  const store = await CollectionStore.open({ dataDir, region, accountId });
  const ownPool = options.engine ? undefined : await startFaceEnginePool();
  const engine = options.engine ?? ownPool!.interactive;
  const images = new ImageSource(options.s3);
  const operations = combineOperations(createImageOperations({ engine, store, images }), options.extraOperations ?? {});
  return startImageServer(
    {
      service: 'rekognition',
      title: 'Amazon Rekognition',
      targetPrefix: 'RekognitionService.',
      region,
      operations,
      maxRequestBytes: MAX_REQUEST_BYTES,
      // Rekognition's own exceptions carry a Code and a Logref.
      exceptionMembers: (type, requestId) => ({ Code: type, Logref: requestId }),
      host,
      port,
      release: async () => {
        images.close();
        await ownPool?.close();
      },
    },
    options,
  );
}

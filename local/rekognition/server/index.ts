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
 * operation receives the parsed JSON body and answers the JSON response, or throws a RekognitionError.
 * Requests need a well-formed SigV4 Authorization header (any credentials); bodies are capped at 16 MB. At most
 * `maxConcurrentAnalyses` images (default 2) are analysed at once and `maxQueuedAnalyses` (default 32) wait; more
 * are refused with ThrottlingException.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CollectionStore } from '../collections/store';
import { createFaceEngine } from '../engine';
import type { FaceEngine } from '../engine/types';
import { AnalysisLimiter } from './analysis-limiter';
import { createImageOperations } from './image-operations';
import { ImageSource, type S3Settings } from './image-source';
import type { OperationTable } from './operation';
import { createJsonProtocolListener } from './protocol';

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

export async function startRekognitionServer(options: RekognitionServerOptions): Promise<RekognitionServer> {
  const { host = '127.0.0.1', port = 4580, dataDir, region = 'us-east-1', accountId = '000000000000' } = options;
  const store = await CollectionStore.open({ dataDir, region, accountId });
  const engine = options.engine ?? (await createFaceEngine());
  const images = new ImageSource(options.s3);
  const limiter = new AnalysisLimiter(options.maxConcurrentAnalyses ?? 2, options.maxQueuedAnalyses ?? 32);
  const operations = combineOperations(createImageOperations({ engine, store, images, limiter }), options.extraOperations ?? {});
  const server = createServer(createJsonProtocolListener(operations, options.logError ?? ((error) => console.error(error))));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    endpoint: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          images.close();
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * Local Face Liveness: a development stand-in for Rekognition Face Liveness, not a certified presentation-attack
 * detector.
 *
 *   const liveness = await startLivenessService({ engine, s3: { endpoint, region, credentials }, dataDir, host, port, region });
 *   // liveness.operations: CreateFaceLivenessSession and GetFaceLivenessSessionResults, for the Rekognition JSON
 *   //   server's extraOperations;
 *   // liveness.streamingEndpoint: `https://<host>:<port>`, the FaceLivenessDetector's `config.endpointOverride`
 *   //   (it connects to `wss://<host>:<port>/start-face-liveness-session-websocket`);
 *   // liveness.certificatePath: the self-signed localhost certificate a client must trust;
 *   await liveness.close();
 *
 * Sessions persist under `<dataDir>/liveness/`, the TLS certificate under `<dataDir>/tls/`. A session lives 3 minutes
 * and streams once (see ./sessions.ts for CREATED / IN_PROGRESS / SUCCEEDED / FAILED / EXPIRED and when it is no
 * longer found). Stream limits (./stream-server.ts): video up to 10 MB (Rekognition's cap), 10 s without a message
 * (60 s before the first one when the client declares a start screen), ffmpeg only from the first video chunk,
 * at most 64 streams at once (ThrottlingException beyond), frames sampled at 4 per second, at most 120 of them
 * (30 s). Lifetime, limits and the oval's placement are injectable for tests. Scoring: see ./scoring.ts. The Node client of the
 * protocol: ../liveness-client/client.ts.
 */
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../aws/clock';
import type { FaceEngine } from '../engine/types';
import type { OperationTable } from '../../aws/json-protocol';
import { loadLocalhostCertificate } from '../../tls/localhost-certificate';
import type { OvalPlacement } from './challenge';
import { createSessionOperations } from './operations';
import { createResultWriter, type S3Settings } from './result-images';
import { SessionStore } from './sessions';
import { DEFAULT_STREAM_LIMITS, startStreamServer, type StreamLimits } from './stream-server';

export { STREAM_PATH } from './event-stream';

/** Rekognition: "a SessionId expires 3 minutes after it's sent". */
export const SESSION_LIFETIME_MS = 3 * 60 * 1000;

export interface LivenessServiceOptions {
  engine: FaceEngine;
  /** Where reference and audit images go for sessions created with an OutputConfig. */
  s3: S3Settings;
  dataDir: string;
  /** Streaming endpoint address; default 127.0.0.1:4581 (port 0 picks a free one). */
  host?: string;
  port?: number;
  /** The region clients must sign for. */
  region: string;
  sessionLifetimeMs?: number;
  limits?: Partial<StreamLimits>;
  /** Where each session's oval goes (./challenge.ts); default `random`, as Rekognition. */
  ovalPlacement?: OvalPlacement;
  /** Tests inject a clock to reach a session's expiry without waiting. */
  now?: Clock;
  /** Why each session ended as it did, and why a stream was refused; the client is told neither. */
  log: (entry: Record<string, unknown>) => void;
}

export interface LivenessService {
  operations: OperationTable;
  streamingEndpoint: string;
  certificatePath: string;
  close(): Promise<void>;
}

export async function startLivenessService(options: LivenessServiceOptions): Promise<LivenessService> {
  const now = options.now ?? Date.now;
  const store = await SessionStore.open(options.dataDir, now);
  const certificate = await loadLocalhostCertificate(options.dataDir);
  const limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
  const { server, close } = startStreamServer({
    engine: options.engine,
    store,
    results: createResultWriter(store, options.s3),
    region: options.region,
    limits,
    ovalPlacement: options.ovalPlacement ?? 'random',
    now,
    tls: certificate,
    log: options.log,
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4581, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    operations: createSessionOperations({ store, sessionLifetimeMs: options.sessionLifetimeMs ?? SESSION_LIFETIME_MS, now }),
    streamingEndpoint: `https://${host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    certificatePath: certificate.certPath,
    close,
  };
}

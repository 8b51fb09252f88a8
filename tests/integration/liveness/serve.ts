/**
 * The Rekognition JSON server with Face Liveness, for the liveness tests: run by the harness as
 * `tsx tests/integration/liveness/serve.ts '<json options>'` in a child process (onnxruntime's native addon and
 * jest's module registry do not mix). Options: dataDir, s3Endpoint, sessionLifetimeMs, limits, faceTaskTimeoutMs (the
 * engine pool's limit on one face task: 1 ms fails every frame, as a face worker that fails would). Prints one
 * `ready {...}` line with the endpoints. The server runs on a test clock: real time plus however far the test has
 * moved it with an `advance <ms>` line on stdin, which is answered `advanced <total ms>`.
 */
import { createInterface } from 'node:readline';
import { startFaceEnginePool } from '../../../local/rekognition/engine-pool/index';
import { startLivenessService } from '../../../local/rekognition/liveness';
import type { StreamLimits } from '../../../local/rekognition/liveness/stream-server';
import { startRekognitionServer } from '../../../local/rekognition/server';

interface ServeOptions {
  dataDir: string;
  s3Endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  sessionLifetimeMs?: number;
  limits?: Partial<StreamLimits>;
  faceTaskTimeoutMs?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ServeOptions;
const s3 = { endpoint: options.s3Endpoint, region: options.region, credentials: options.credentials };
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;
createInterface({ input: process.stdin }).on('line', (line) => {
  const advance = /^advance (\d+)$/.exec(line);
  if (!advance) return;
  clockOffsetMs += Number(advance[1]);
  console.log(`advanced ${clockOffsetMs}`);
});
const pool = await startFaceEnginePool(options.faceTaskTimeoutMs ? { taskTimeoutMs: options.faceTaskTimeoutMs } : {});
const liveness = await startLivenessService({
  engine: pool.liveness,
  s3,
  dataDir: options.dataDir,
  port: 0,
  region: options.region,
  ...(options.sessionLifetimeMs ? { sessionLifetimeMs: options.sessionLifetimeMs } : {}),
  ...(options.limits ? { limits: options.limits } : {}),
  now,
  log: (entry) => console.error(JSON.stringify(entry)),
});
const server = await startRekognitionServer({
  port: 0,
  dataDir: options.dataDir,
  region: options.region,
  s3,
  engine: pool.interactive,
  extraOperations: liveness.operations,
  now,
});
const ready = { endpoint: server.endpoint, streamingEndpoint: liveness.streamingEndpoint, certificatePath: liveness.certificatePath };
console.log(`ready ${JSON.stringify(ready)}`);
process.on('SIGTERM', () => {
  void Promise.all([server.close(), liveness.close()])
    .then(() => pool.close())
    .then(() => process.exit(0));
});

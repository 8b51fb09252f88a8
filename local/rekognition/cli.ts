/**
 * Starts the local Rekognition server alone, with Face Liveness (its session operations and its wss endpoint):
 *   npm run local:rekognition -- --port 4580 [--host 127.0.0.1] [--data-dir .local-data/rekognition]
 *     [--s3-endpoint http://127.0.0.1:4569] [--region us-east-1] [--liveness-port 4581] [--face-workers N]
 * The face work runs in a pool of N worker threads (default: the cores), image calls before liveness frames.
 * S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else the local stack's identity (its S3 gate
 * refuses any other signature). Ctrl-C closes it.
 */
import { parseArgs } from 'node:util';
import { parseFaceWorkers, startFaceEnginePool } from './engine-pool/index';
import { startLivenessService } from './liveness';
import { startRekognitionServer } from './server';
import { LOCAL_CREDENTIALS } from '../template/local-environment';

const USAGE =
  'usage: npm run local:rekognition -- --port <n> [--host 127.0.0.1] [--data-dir .local-data/rekognition] ' +
  '[--s3-endpoint URL] [--region us-east-1] [--liveness-port 4581] [--face-workers N]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) fail(`--port must be an integer 0-65535, got '${value}'`);
  return port;
}

function parseEndpoint(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // falls through to the refusal below
  }
  return fail(`--s3-endpoint must be an http(s) URL, got '${value}'`);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: '4580' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: '.local-data/rekognition' },
      's3-endpoint': { type: 'string', default: 'http://127.0.0.1:4569' },
      region: { type: 'string', default: 'us-east-1' },
      // Default 4581, or a free port when --port is 0 (as tests start it), so servers side by side never collide.
      'liveness-port': { type: 'string' },
      'face-workers': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (error) {
  fail((error as Error).message);
}

const region = args.region;
const s3 = {
  endpoint: parseEndpoint(args['s3-endpoint']),
  region,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? LOCAL_CREDENTIALS.accessKeyId,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? LOCAL_CREDENTIALS.secretAccessKey,
  },
};
let workers: number | undefined;
try {
  workers = args['face-workers'] === undefined ? undefined : parseFaceWorkers(args['face-workers']);
} catch (error) {
  fail((error as Error).message);
}
const pool = await startFaceEnginePool({ workers });
const liveness = await startLivenessService({
  engine: pool.liveness,
  s3,
  dataDir: args['data-dir'],
  host: args.host,
  port: parsePort(args['liveness-port'] ?? (parsePort(args.port) === 0 ? '0' : '4581')),
  region,
  log: (entry) => console.log(`[liveness] ${JSON.stringify(entry)}`),
});
const server = await startRekognitionServer({
  host: args.host,
  port: parsePort(args.port),
  dataDir: args['data-dir'],
  region,
  s3,
  engine: pool.interactive,
  extraOperations: liveness.operations,
});

console.log(`Rekognition listening on ${server.endpoint}`);
console.log(`Face Liveness streaming on ${liveness.streamingEndpoint} (certificate ${liveness.certificatePath})`);
console.log(`Point the AWS SDK at it with AWS_ENDPOINT_URL_REKOGNITION=${server.endpoint}`);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing`);
  await Promise.all([server.close(), liveness.close()]);
  await pool.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

/**
 * Starts the local Rekognition server alone:
 *   npm run local:rekognition -- --port 4580 [--host 127.0.0.1] [--data-dir .local-data/rekognition]
 *     [--s3-endpoint http://127.0.0.1:4569] [--region us-east-1]
 * S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else s3rver's defaults. Ctrl-C closes it.
 */
import { parseArgs } from 'node:util';
import { startRekognitionServer } from './server';

const USAGE =
  'usage: npm run local:rekognition -- --port <n> [--host 127.0.0.1] [--data-dir .local-data/rekognition] [--s3-endpoint URL] [--region us-east-1]';

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
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (error) {
  fail((error as Error).message);
}

const region = args.region;
const server = await startRekognitionServer({
  host: args.host,
  port: parsePort(args.port),
  dataDir: args['data-dir'],
  region,
  s3: {
    endpoint: parseEndpoint(args['s3-endpoint']),
    region,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    },
  },
});

console.log(`Rekognition listening on ${server.endpoint}`);
console.log(`Point the AWS SDK at it with AWS_ENDPOINT_URL_REKOGNITION=${server.endpoint}`);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing`);
  await server.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

/**
 * Two measurements of the built Lambdas (`npm run bench:functions` builds first).
 * 1. Bundle size and cold-import time. Each sample is a fresh `node` that times its own `import()` of the bundle,
 *    which is what a cold start adds for our code: wall time, and CPU time (user + system), which other load on
 *    the machine disturbs less. Medians of 11 runs. Targets: < 1 MB per bundle and < 100 ms import,
 *    judged on CPU time: on this shared 2-core machine wall time mostly measures other jobs (the load average is
 *    printed beside it).
 * 2. The worst case of Cognito's 5 s budget: each trigger answers a sample event while every AWS endpoint
 *    accepts connections and never replies, so only our timeouts, retries and deadlines end the wait.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNS = 11;
const MAX_BYTES = 1024 * 1024;
const MAX_IMPORT_MS = 100;
const distDir = fileURLToPath(new URL('../dist/functions', import.meta.url));

/** The environment a deployed function has, so configuration validates at import as on a cold start. */
const functionEnv = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'bench-table',
  BUCKET_NAME: 'bench-bucket',
  COLLECTION_ID: 'bench-faces',
  EMAIL_SENDER: 'sign-in@example.com',
  LOG_LEVEL: 'SILENT',
};

interface ImportSample {
  wallMs: number;
  cpuMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sampleImport(bundleUrl: string): ImportSample {
  const script = `
    const cpu = process.cpuUsage(), started = performance.now();
    const m = await import(${JSON.stringify(bundleUrl)});
    const wallMs = performance.now() - started, used = process.cpuUsage(cpu);
    if (typeof m.handler !== 'function') process.exit(3);
    console.log(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: functionEnv, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`importing ${bundleUrl} failed with exit ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as ImportSample;
}

if (!existsSync(distDir)) throw new Error(`${distDir} does not exist: run npm run build first`);
const names = readdirSync(distDir).filter((name) => existsSync(join(distDir, name, 'index.mjs')));
const loadBefore = loadavg()[0]!;
const rows = names.map((name) => {
  const file = join(distDir, name, 'index.mjs');
  const samples = Array.from({ length: RUNS }, () => sampleImport(pathToFileURL(file).href));
  return {
    name,
    bytes: statSync(file).size,
    wallMs: median(samples.map((sample) => sample.wallMs)),
    cpuMs: median(samples.map((sample) => sample.cpuMs)),
  };
});

console.log(
  `Lambda bundles: cold import, median of ${RUNS} fresh node ${process.versions.node} processes ` +
    `(1-min load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after)`,
);
console.log(`${'function'.padEnd(24)} ${'KiB'.padStart(9)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)}  within targets`);
let allWithin = true;
const kib = (value: number) => (value / 1024).toFixed(1).padStart(9);
const ms = (value: number) => value.toFixed(1).padStart(8);
for (const { name, bytes, wallMs, cpuMs } of rows) {
  const within = bytes < MAX_BYTES && cpuMs < MAX_IMPORT_MS;
  allWithin &&= within;
  console.log(`${name.padEnd(24)} ${kib(bytes)} ${ms(wallMs)} ${ms(cpuMs)}  ${within ? 'yes' : 'NO'}`);
}

/** Cognito trigger invocations whose every AWS call will hang. */
const HANGING_CASES = [
  ['define-auth-challenge', 'define-auth-challenge.first-sign-in'],
  ['create-auth-challenge', 'create-auth-challenge.enroll'],
  ['create-auth-challenge', 'create-auth-challenge.liveness'],
  ['verify-auth-challenge', 'verify-auth-challenge.liveness-answer'],
  ['verify-auth-challenge', 'verify-auth-challenge.enroll-answer'],
] as const;
const COGNITO_TRIGGER_LIMIT_MS = 5000;

/** A loopback endpoint that accepts every connection and never answers. */
async function startHangingEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, close };
}

async function answerWhileAwsHangs(folder: string, eventName: string, endpoint: string): Promise<{ ms: number; outcome: string }> {
  const bundleUrl = pathToFileURL(join(distDir, folder, 'index.mjs')).href;
  const eventUrl = new URL(`../events/${eventName}.json`, import.meta.url).href;
  const script = `
    import { readFileSync } from 'node:fs';
    const { handler } = await import(${JSON.stringify(bundleUrl)});
    const event = JSON.parse(readFileSync(new URL(${JSON.stringify(eventUrl)}), 'utf8'));
    const started = performance.now();
    let outcome;
    try { outcome = JSON.stringify((await handler(event)).response); } catch (error) { outcome = 'threw ' + error.name; }
    console.log(JSON.stringify({ ms: performance.now() - started, outcome }));`;
  const env = {
    ...functionEnv,
    AWS_ACCESS_KEY_ID: 'BENCHKEY',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_REKOGNITION: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
  };
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { ms: number; outcome: string };
}

const hanging = await startHangingEndpoint();
try {
  console.log(`\nCognito triggers while every AWS endpoint hangs (limit ${COGNITO_TRIGGER_LIMIT_MS} ms)`);
  console.log(`${'event'.padEnd(40)} ${'ms'.padStart(7)}  outcome`);
  for (const [folder, eventName] of HANGING_CASES) {
    const { ms: elapsed, outcome } = await answerWhileAwsHangs(folder, eventName, hanging.url);
    allWithin &&= elapsed < COGNITO_TRIGGER_LIMIT_MS;
    const shown = outcome.length > 60 ? `${outcome.slice(0, 57)}...` : outcome;
    console.log(
      `${eventName.padEnd(40)} ${elapsed.toFixed(0).padStart(7)}  ${shown}${elapsed < COGNITO_TRIGGER_LIMIT_MS ? '' : '  OVER THE LIMIT'}`,
    );
  }
} finally {
  await hanging.close();
}
if (!allWithin) process.exitCode = 1;

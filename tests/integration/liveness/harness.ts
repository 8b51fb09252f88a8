/** Starts s3rver and the liveness server (in a child process) for the liveness tests, and makes their inputs. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { StreamLimits } from '../../../local/rekognition/liveness/stream-server';
import { CREDENTIALS, REGION } from '../rekognition/harness';

export { CREDENTIALS, REGION, fixture, noFaceImage, startS3, temporaryDirectory } from '../rekognition/harness';
export { locateFace } from '../../../local/rekognition/liveness-client/client';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Loading the face engine takes seconds; a minute means something is wrong, and the failure shows the output. */
const READY_TIMEOUT_MS = 60_000;

export interface LivenessStack {
  /** The server process (its ffmpeg decoders are among its descendants). */
  pid: number;
  rekognition: RekognitionClient;
  streamingEndpoint: string;
  /** PEM of the self-signed certificate, to trust. */
  ca: string;
  /** Moves the server's clock forward, as time passing would. */
  advanceClock(ms: number): Promise<void>;
  /** What the server has printed so far: its log entries are JSON lines. */
  printed(): string;
  stop(): Promise<void>;
}

export async function startLivenessStack(options: {
  dataDir: string;
  s3Endpoint: string;
  sessionLifetimeMs?: number;
  limits?: Partial<StreamLimits>;
  /** The engine pool's limit on one face task (serve.ts). */
  faceTaskTimeoutMs?: number;
}): Promise<LivenessStack> {
  const child = spawn(
    join(ROOT, 'node_modules/.bin/tsx'),
    ['tests/integration/liveness/serve.ts', JSON.stringify({ ...options, region: REGION, credentials: CREDENTIALS })],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  /** Resolves with the first match of `pattern` in the output after `since` characters, within `timeoutMs`. */
  const printed = (pattern: RegExp, since: number, timeoutMs: number, what: string) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output.slice(since));
        if (!match) return;
        done();
        resolve(match);
      };
      const fail = (error: Error) => {
        done();
        reject(error);
      };
      const onExit = (code: number | null) => fail(new Error(`liveness server exited with ${code} before ${what}:\n${output}`));
      const timer = setTimeout(() => fail(new Error(`liveness server: no ${what} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.off('exit', onExit);
      };
      child.stdout!.on('data', check);
      child.once('exit', onExit);
      check();
    });
  const ready = await printed(/^ready (\{.*\})$/m, 0, READY_TIMEOUT_MS, 'it was ready').then(
    (match) => JSON.parse(match[1]!) as { endpoint: string; streamingEndpoint: string; certificatePath: string },
    (error: unknown) => {
      child.kill('SIGTERM');
      throw error;
    },
  );
  // The server logs each decision with its reasons; LIVENESS_TEST_LOG=1 shows them.
  if (process.env.LIVENESS_TEST_LOG) child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const rekognition = new RekognitionClient({ endpoint: ready.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    pid: child.pid!,
    rekognition,
    streamingEndpoint: ready.streamingEndpoint,
    ca: await readFile(ready.certificatePath, 'utf8'),
    advanceClock: async (ms) => {
      const since = output.length;
      child.stdin!.write(`advance ${ms}\n`);
      await printed(/^advanced \d+$/m, since, 5000, 'the clock advanced');
    },
    printed: () => output,
    stop: async () => {
      rekognition.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Starts s3rver and the liveness server (in a child process) for the liveness tests, and makes their inputs. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { StreamLimits } from '../../../local/rekognition/liveness/stream-server';
import { CREDENTIALS, REGION } from '../rekognition/harness';

export { CREDENTIALS, REGION, fixture, noFaceImage, startS3, temporaryDirectory } from '../rekognition/harness';
export { locateFace } from '../../../local/rekognition/liveness/client';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface LivenessStack {
  /** The server process (its ffmpeg decoders are among its descendants). */
  pid: number;
  rekognition: RekognitionClient;
  streamingEndpoint: string;
  /** PEM of the self-signed certificate, to trust. */
  ca: string;
  stop(): Promise<void>;
}

export async function startLivenessStack(options: {
  dataDir: string;
  s3Endpoint: string;
  sessionLifetimeMs?: number;
  limits?: Partial<StreamLimits>;
}): Promise<LivenessStack> {
  const child = spawn(
    join(ROOT, 'node_modules/.bin/tsx'),
    ['tests/integration/liveness/serve.ts', JSON.stringify({ ...options, region: REGION, credentials: CREDENTIALS })],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const ready = await new Promise<{ endpoint: string; streamingEndpoint: string; certificatePath: string }>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^ready (\{.*\})$/m.exec(output);
      if (match) resolve(JSON.parse(match[1]!));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`liveness server exited with ${code} before it was ready:\n${output}`)));
  });
  // The server logs each decision with its reasons; LIVENESS_TEST_LOG=1 shows them.
  if (process.env.LIVENESS_TEST_LOG) child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const rekognition = new RekognitionClient({ endpoint: ready.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    pid: child.pid!,
    rekognition,
    streamingEndpoint: ready.streamingEndpoint,
    ca: await readFile(ready.certificatePath, 'utf8'),
    stop: async () => {
      rekognition.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Runs the Rekognition server as `npx tsx local/rekognition/cli.ts` in a child process (onnxruntime's native addon
 * and jest's module registry do not mix), an s3rver on a free port, and SDK clients pointed at them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import sharp from 'sharp';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURES = join(ROOT, 'tests/fixtures/faces');
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const REGION = 'us-east-1';

export function fixture(name: string): Promise<Buffer> {
  return readFile(join(FIXTURES, name));
}

export async function temporaryDirectory(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface RunningServer {
  endpoint: string;
  client: RekognitionClient;
  stop(): Promise<void>;
}

/** Runs `tsx local/rekognition/cli.ts <args>` with the test credentials, its output piped. */
export function spawnCli(args: string[]): ChildProcess & { stdout: Readable; stderr: Readable } {
  return spawn(join(ROOT, 'node_modules/.bin/tsx'), ['local/rekognition/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts the CLI on a free port and waits for the line that names its endpoint. */
export async function startServer(options: { dataDir: string; s3Endpoint?: string }): Promise<RunningServer> {
  const args = ['--port', '0', '--data-dir', options.dataDir];
  if (options.s3Endpoint) args.push('--s3-endpoint', options.s3Endpoint);
  const child = spawnCli(args);
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
  const client = new RekognitionClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  return { endpoint, client, stop: () => stopChild(child, client) };
}

async function stopChild(child: ChildProcess, client: RekognitionClient): Promise<void> {
  client.destroy();
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export interface RunningS3 {
  endpoint: string;
  client: S3Client;
  put(bucket: string, key: string, body: Buffer): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3(directory: string, buckets: string[]): Promise<RunningS3> {
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    client,
    put: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/jpeg' }));
    },
    stop: async () => {
      client.destroy();
      await server.close();
    },
  };
}

/** A photo without a face, made at test time: smooth colour bands with some shapes. */
export async function noFaceImage(): Promise<Buffer> {
  const width = 480;
  const height = 320;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      pixels[offset] = (x * 255) / width;
      pixels[offset + 1] = (y * 255) / height;
      pixels[offset + 2] = (x + y) % 64 < 32 ? 200 : 60;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg()
    .toBuffer();
}

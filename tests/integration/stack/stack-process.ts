/**
 * Runs `npm start` (tsx local/start.ts) as a child process on free ports with a temporary data folder, as a
 * developer would, and reads its stack-outputs.json once ready. A child process, because onnxruntime's native
 * addon (the face engine behind Rekognition and liveness) does not load inside jest's module registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import type { stackOutputs } from '../../../local/stack';
import { freePort } from '../../../local/template/local-environment';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export type StackOutputs = ReturnType<typeof stackOutputs>;

/** How long npm start may take to be ready: well inside the tests' 120 s beforeAll, so the failure says why. */
const READY_TIMEOUT_MS = 110_000;
/**
 * What each running stack has printed so far, read by tests/support/stack-log-environment.cjs, which adds the lines
 * printed during a failed test to its failure.
 */
const testGlobal = globalThis as { __runningStackOutputs?: Set<() => string> };
testGlobal.__runningStackOutputs ??= new Set();
const runningStackOutputs = testGlobal.__runningStackOutputs;

/**
 * Polls `isDone` every 100 ms until it holds, or throws after `timeoutMs` with `describe()`'s account of what was
 * awaited. `isDone` may throw to give up early (a process that died).
 */
export async function waitUntil(isDone: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface StackProcess {
  dataDir: string;
  outputs: StackOutputs;
  dynamodbPort: number;
  /** SDK clients pointed at the stack's Cognito emulator and Rekognition server. */
  cognito: CognitoIdentityProviderClient;
  rekognition: RekognitionClient;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  /** stop(), close the clients and remove the data folder (unless the caller passed it in). */
  dispose(): Promise<void>;
}

/**
 * `extraArgs` go to npm start after the data folder and port flags; without `--app-port` the web app is skipped.
 * `options.dataDir` starts on an existing data folder (a restart), which the caller keeps and removes.
 */
export async function startStackProcess(extraArgs: string[] = [], options: { dataDir?: string } = {}): Promise<StackProcess> {
  const appArgs = extraArgs.includes('--app-port') ? [] : ['--skip-app'];
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'local-stack-'));
  const dynamodbPort = await freePort();
  const child: ChildProcess = spawn(
    join(ROOT, 'node_modules/.bin/tsx'),
    [
      'local/start.ts',
      '--data-dir',
      dataDir,
      '--dynamodb-port',
      String(dynamodbPort),
      '--s3-port',
      '0',
      '--rekognition-port',
      '0',
      '--liveness-port',
      '0',
      '--textract-port',
      '0',
      '--cognito-port',
      '0',
      '--ses-port',
      '0',
      '--http-api-port',
      '0',
      ...appArgs,
      ...extraArgs,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  const output = () => printed;
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // A stack that dies under a test otherwise shows only as refused connections: say why it died.
      if (!stopping) console.error(`the local stack exited unexpectedly (${code ?? signal}); its last output:\n${printed.slice(-6000)}`);
      resolve(code);
    }),
  );
  const outputsFile = join(dataDir, 'stack-outputs.json');
  await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode} before it was ready:\n${printed}`);
      return existsSync(outputsFile) && printed.includes('Ctrl-C stops everything');
    },
    READY_TIMEOUT_MS,
    () => `npm start ready; it printed:\n${printed}`,
  ).catch((error: unknown) => {
    stopping = true;
    child.kill('SIGTERM');
    throw error;
  });
  runningStackOutputs.add(output);
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null) child.kill('SIGTERM');
    runningStackOutputs.delete(output);
    return exited;
  };
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as StackOutputs;
  const { region, endpoints, credentials } = outputs;
  const cognito = new CognitoIdentityProviderClient({ endpoint: endpoints.cognito!, region, credentials });
  const rekognition = new RekognitionClient({ endpoint: endpoints.rekognition!, region, credentials });
  return {
    dataDir,
    outputs,
    dynamodbPort,
    cognito,
    rekognition,
    output,
    stop,
    dispose: async () => {
      cognito.destroy();
      rekognition.destroy();
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

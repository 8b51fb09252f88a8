/**
 * The local stack and the app server in a child process: the face engine's onnxruntime addon does not work
 * inside jest's module sandbox (typed arrays from another realm), so the browser tests drive a real process.
 *
 * Child side: `tsx tests/browser/stack-process.ts '<json options>'` starts startLocalStack and
 * startLocalAppServer, prints `READY <json>` on stdout and stops everything when stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OvalPlacement } from '../../local/rekognition/liveness/challenge';

export interface StackProcessOptions {
  dataDir: string;
  appPort: number;
  ports: Record<'dynamodb' | 's3' | 'rekognition' | 'liveness' | 'textract' | 'cognito' | 'httpApi', number>;
  livenessOvalPlacement?: OvalPlacement;
}

export interface StackProcess {
  appUrl: string;
  mailboxUrl: string;
  rekognitionEndpoint: string;
  /** The stack's and the functions' output so far, for a failing test's message. */
  output(): string;
  /**
   * Why Verify refused each liveness answer so far, from its structured log (`failure`, e.g. NO_MATCH or
   * NOT_SUCCEEDED:FAILED): the app may not learn the reason, the test must.
   */
  livenessFailures(): string[];
  stop(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(SELF, '..', '..', '..');
const READY = 'READY ';

export function startStackProcess(options: StackProcessOptions, timeoutMs: number): Promise<StackProcess> {
  const child: ChildProcess = spawn(join(ROOT, 'node_modules/.bin/tsx'), [SELF, JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the local stack was not ready within ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(new Error(`${error.message}\n--- stack output ---\n${output.slice(-5000)}`));
    }
    child.once('exit', (code) => fail(new Error(`the local stack process exited with code ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      const line = output.split('\n').find((candidate) => candidate.startsWith(READY));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const { appUrl, mailboxUrl, rekognitionEndpoint } = JSON.parse(line.slice(READY.length)) as Pick<
        StackProcess,
        'appUrl' | 'mailboxUrl' | 'rekognitionEndpoint'
      >;
      resolve({
        appUrl,
        mailboxUrl,
        rekognitionEndpoint,
        output: () => output,
        livenessFailures: () => livenessFailures(output),
        stop: () =>
          new Promise<void>((resolveStop) => {
            child.once('exit', () => resolveStop());
            child.stdin!.end();
          }),
      });
    });
  });
}

function livenessFailures(output: string): string[] {
  const failures: string[] = [];
  for (const line of output.split('\n')) {
    const json = line.startsWith('[VerifyAuthChallengeFunction] {') ? line.slice(line.indexOf('{')) : undefined;
    if (!json?.includes('"liveness check failed"')) continue;
    const entry = JSON.parse(json) as { failure: string; detail?: string };
    failures.push(entry.detail ? `${entry.failure}:${entry.detail}` : entry.failure);
  }
  return failures;
}

async function runChild(options: StackProcessOptions): Promise<void> {
  const { startLocalStack } = await import('../../local/stack');
  const { startLocalAppServer } = await import('../../local/web/local-app');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const stack = await startLocalStack({
    dataDir: options.dataDir,
    reset: true,
    ports: { ...options.ports, app: options.appPort },
    // The bucket's CORS and the Cognito emulator's both follow the template's AllowedOrigins.
    parameterOverrides: { AllowedOrigins: `http://localhost:${options.appPort}` },
    livenessOvalPlacement: options.livenessOvalPlacement,
    log,
    functionLog: (logicalId, line) => log(`[${logicalId}] ${line}`),
  });
  const app = await startLocalAppServer(stack, { port: options.appPort });
  const ready = { appUrl: app.url, mailboxUrl: stack.endpoints.mailbox, rekognitionEndpoint: stack.endpoints.rekognition };
  process.stdout.write(`${READY}${JSON.stringify(ready)}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void app
      .close()
      .then(() => stack.stop())
      .finally(() => process.exit(0));
  });
}

if (process.argv[1] === SELF) {
  runChild(JSON.parse(process.argv[2] ?? '{}') as StackProcessOptions).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}

/**
 * Finding or starting a local stack for the demo and the load test. A running `npm start` is recognised by its
 * `stack-outputs.json` (written while it runs) together with a Cognito endpoint that really serves the pool's JWKS,
 * so a file left behind by a killed stack is not mistaken for a live one. Otherwise the stack is started as its own
 * process (local/start.ts, what `npm start` runs) on free ports in a temporary folder: a separate process, so the face
 * engine's CPU work cannot stall the client's real-time video sending, as with a real browser and server.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { stackOutputs } from '../stack';
import { freePort } from '../template/local-environment';

export type StackOutputs = ReturnType<typeof stackOutputs>;

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.local-data');
const OUTPUTS_FILE = 'stack-outputs.json';
/** start.ts prints this last, once every service is ready. */
const READY_LINE = 'Ctrl-C stops everything';
const PROBE_TIMEOUT_MS = 2000;

export interface StackConnection {
  outputs: StackOutputs;
  /** True when this process started the stack (and stop() ends it). */
  owned: boolean;
  /** An owned stack's process (its services' processes are its children). */
  pid?: number;
  /** Where an owned stack's own output goes. */
  logFile?: string;
  /** An owned stack's data folder (removed by stop()). */
  dataDir?: string;
  startupMs: number;
  /** Ends an owned stack; `keepLog` leaves its temporary folder (log and data) for reading what went wrong. */
  stop(keepLog?: boolean): Promise<void>;
}

export type Detection = { running: true; outputs: StackOutputs } | { running: false; why: string };

/** Whether a stack is running with its data in `dataDir`: the outputs file is there and its JWKS is served. */
export async function detectRunningStack(dataDir: string = DEFAULT_DATA_DIR): Promise<Detection> {
  const file = join(resolve(dataDir), OUTPUTS_FILE);
  if (!existsSync(file)) return { running: false, why: `no ${OUTPUTS_FILE} in ${resolve(dataDir)}` };
  let outputs: StackOutputs;
  try {
    outputs = JSON.parse(readFileSync(file, 'utf8')) as StackOutputs;
  } catch (error) {
    return { running: false, why: `${file} is not JSON: ${(error as Error).message}` };
  }
  const { jwks, cognito, liveness } = outputs.endpoints ?? {};
  if (!jwks || !cognito || !liveness || !outputs.userPoolClientId || !outputs.livenessCertificatePath) {
    return { running: false, why: `${file} names no user pool or liveness endpoint (started without Cognito or Rekognition?)` };
  }
  try {
    const response = await fetch(jwks, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await response.json()) as { keys?: unknown[] };
    if (!response.ok || !Array.isArray(body.keys) || body.keys.length === 0)
      return { running: false, why: `${jwks} answered ${response.status} without keys` };
  } catch (error) {
    return { running: false, why: `${jwks} does not answer (${(error as Error).message}): ${file} is left from a stack that is gone` };
  }
  return { running: true, outputs };
}

export interface OwnStackOptions {
  /** Template parameter overrides, `Name=Value` as `npm start -- --parameter` takes them. */
  parameters?: Record<string, string>;
  /** Give up waiting for the stack after this long (the first start builds the functions). */
  startTimeoutMs?: number;
}

/** Starts local/start.ts on free ports with a temporary data folder; stop() ends it and removes the folder. */
export async function startOwnStack(options: OwnStackOptions = {}): Promise<StackConnection> {
  const started = performance.now();
  const workDir = mkdtempSync(join(tmpdir(), 'face-login-stack-'));
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir);
  const logFile = join(workDir, 'stack.log');
  const log = createWriteStream(logFile);
  // DynamoDB Local (a JVM) cannot be asked for port 0, so it gets a port that is free now.
  const dynamodbPort = await freePort();
  // No web app: the demo and the load test drive the API like the app would, from Node.
  const args = ['local/start.ts', '--skip-app', '--data-dir', dataDir, '--dynamodb-port', String(dynamodbPort)];
  for (const service of ['s3', 'rekognition', 'liveness', 'textract', 'cognito', 'ses']) args.push(`--${service}-port`, '0');
  for (const [name, value] of Object.entries(options.parameters ?? {})) args.push('--parameter', `${name}=${value}`);
  // Node with tsx's loader, not the tsx CLI: the CLI relays a signal and SIGKILLs its child if the child does not
  // acknowledge within 30 ms, which on a busy machine skips start.ts's orderly stop and leaves the DynamoDB JVM running.
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const record = (chunk: Buffer) => {
    printed = (printed + chunk.toString()).slice(-4096);
    log.write(chunk);
  };
  child.stdout!.on('data', record);
  child.stderr!.on('data', record);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  let stopped = false;
  const stop = async (keepFiles = false) => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    }
    await new Promise((resolveEnd) => log.end(resolveEnd));
    if (!keepFiles) rmSync(workDir, { recursive: true, force: true });
  };

  const outputsFile = join(dataDir, OUTPUTS_FILE);
  const deadline = Date.now() + (options.startTimeoutMs ?? 240_000);
  while (!existsSync(outputsFile) || !printed.includes(READY_LINE)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop(true);
      throw new Error(`the local stack exited (${child.exitCode ?? child.signalCode}) before it was ready; its output is in ${logFile}`);
    }
    if (Date.now() > deadline) {
      await stop(true);
      throw new Error(`the local stack was not ready within ${(options.startTimeoutMs ?? 240_000) / 1000} s; its output is in ${logFile}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return {
    outputs: JSON.parse(readFileSync(outputsFile, 'utf8')) as StackOutputs,
    owned: true,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    logFile,
    dataDir,
    startupMs: performance.now() - started,
    stop,
  };
}

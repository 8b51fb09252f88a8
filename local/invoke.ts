/**
 * `npm run invoke -- <LogicalId> events/<file>.json`: the `sam local invoke` equivalent. Runs one function of
 * template.yaml from its bundle, with its template environment, against the running local stack (found on its
 * ports), or, when none runs, against data services started for this call (DynamoDB Local, S3, Rekognition with
 * the collection, Textract), then prints the function's logs and its response. A CloudFormation custom-resource event gets
 * a local ResponseURL, and the answer CloudFormation would have received is printed too.
 *
 *   npm run invoke -- <LogicalId> <event.json> [--data-dir .local-data] [--dynamodb-port 8000] [--s3-port 4569]
 *     [--rekognition-port 4580] [--textract-port 4582] [--cognito-port 9229] [--parameter Name=Value ...]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt, functionBundles } from './lambda/bundles';
import { LambdaRunner, type InvocationResult } from './lambda/runner';
import { registerTemplateFunction } from './lambda/template-functions';
import { PROJECT_ROOT, startLocalStack, type LocalStack } from './stack';
import { CloudFormationResponseServer, type CloudFormationResponse } from './template/custom-resources';
import { LocalDeployment } from './template/deployment';
import { localUserPool } from './template/cognito-settings';
import { loadTemplate } from './template/load-template';
import { DEFAULT_PORTS, LOCAL_ACCOUNT_ID, LOCAL_HOST, LOCAL_REGION, LOCAL_STACK_NAME } from './template/local-environment';
import { readStackWiring } from './template/wiring';

// Lambda runs the functions on Node 22; on an older host the SDK's upgrade notice would only clutter the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: npm run invoke -- <LogicalId> <event.json> [--data-dir DIR] [--dynamodb-port N] [--s3-port N]
                          [--rekognition-port N] [--textract-port N] [--cognito-port N] [--parameter Name=Value ...]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOCAL_HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || number > 65535) fail(`--${flag} must be a port number 1-65535, got '${value}'`);
  return number;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      's3-port': { type: 'string' },
      'rekognition-port': { type: 'string' },
      'textract-port': { type: 'string' },
      'cognito-port': { type: 'string' },
      parameter: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
    allowPositionals: true,
  });
} catch (error) {
  fail((error as Error).message);
}
const { values: args, positionals } = parsed;
if (positionals.length !== 2) fail('give exactly a function logical id and an event file');
const [logicalId, eventFile] = positionals as [string, string];
const parameterOverrides = Object.fromEntries(
  args.parameter.map((value) => {
    const equals = value.indexOf('=');
    if (equals < 1) fail(`--parameter must look like Name=Value, got '${value}'`);
    return [value.slice(0, equals), value.slice(equals + 1)];
  }),
);

const wiring = readStackWiring(loadTemplate());
if (!wiring.functions[logicalId])
  fail(`${logicalId} is not a function in template.yaml; functions: ${Object.keys(wiring.functions).join(', ')}`);
let event: Record<string, unknown>;
try {
  event = JSON.parse(readFileSync(eventFile, 'utf8')) as Record<string, unknown>;
} catch (error) {
  fail(`cannot read the event ${eventFile}: ${(error as Error).message}`);
}

const ports = {
  dynamodb: port(args['dynamodb-port'], 'dynamodb-port', DEFAULT_PORTS.dynamodb),
  s3: port(args['s3-port'], 's3-port', DEFAULT_PORTS.s3),
  rekognition: port(args['rekognition-port'], 'rekognition-port', DEFAULT_PORTS.rekognition),
  textract: port(args['textract-port'], 'textract-port', DEFAULT_PORTS.textract),
  cognito: port(args['cognito-port'], 'cognito-port', DEFAULT_PORTS.cognito),
};
const printLog = (id: string, line: string) => console.log(`[${id}] ${line}`);

let runner: LambdaRunner;
let stack: LocalStack | undefined;
if (await listening(ports.dynamodb)) {
  const missing = (
    await Promise.all(
      [
        ['S3', ports.s3],
        ['Rekognition', ports.rekognition],
        ['Textract', ports.textract],
      ].map(async ([name, number]) => ((await listening(number as number)) ? undefined : `${name} (port ${number})`)),
    )
  ).filter(Boolean);
  if (missing.length > 0)
    fail(`DynamoDB Local answers on port ${ports.dynamodb}, but not ${missing.join(', ')}: is the local stack only half running?`);
  console.log(`[invoke] using the running local stack (DynamoDB ${ports.dynamodb}, S3 ${ports.s3}, Rekognition ${ports.rekognition})`);
  const deployment = new LocalDeployment(wiring, {
    stackName: LOCAL_STACK_NAME,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    parameterOverrides,
  });
  // The pool's id is derived from the stack, as the running stack derives it, so `!Ref UserPool` resolves.
  if (wiring.userPool) localUserPool(deployment, []);
  ensureBuilt(PROJECT_ROOT, functionBundles([wiring.functions[logicalId]!.bundleFolder]), (line) => console.log(`[invoke] ${line}`));
  runner = new LambdaRunner({ log: printLog });
  const url = (number: number) => `http://${LOCAL_HOST}:${number}`;
  registerTemplateFunction(runner, deployment, logicalId, {
    endpoints: {
      dynamodb: url(ports.dynamodb),
      s3: url(ports.s3),
      rekognition: url(ports.rekognition),
      textract: url(ports.textract),
      sesv2: url(DEFAULT_PORTS.ses),
      ...((await listening(ports.cognito)) ? { cognito: url(ports.cognito) } : {}),
    },
    distDir: join(PROJECT_ROOT, 'dist'),
  });
} else {
  console.log('[invoke] no local stack is running: starting DynamoDB Local, S3 and Rekognition for this call');
  try {
    stack = await startLocalStack({
      ...(args['data-dir'] ? { dataDir: args['data-dir'] } : {}),
      // Nobody streams video during one invocation: the liveness stream may take any free port.
      ports: { ...ports, liveness: 0, ses: 0 },
      parameterOverrides,
      services: { cognito: false, s3Events: false, httpApi: false },
      warm: false,
      log: (line) => console.log(`[invoke] ${line}`),
      functionLog: printLog,
    });
  } catch (error) {
    console.error(`the data services did not start: ${(error as Error).message}`);
    process.exit(1);
  }
  runner = stack.runner;
}

let result: InvocationResult;
let cloudFormationAnswer: CloudFormationResponse | undefined;
try {
  if (typeof event.ResponseURL === 'string' && typeof event.RequestType === 'string') {
    // A custom-resource event: answer to a local URL instead of the one in the file.
    const responses = await CloudFormationResponseServer.start();
    const requestId = typeof event.RequestId === 'string' ? event.RequestId : randomUUID();
    const localEvent = { ...event, RequestId: requestId, ResponseURL: responses.responseUrl(requestId) };
    const invocation = runner.invoke(logicalId, localEvent);
    try {
      cloudFormationAnswer = await responses.answer(requestId, (wiring.functions[logicalId]!.timeoutSeconds + 5) * 1000, async () => {
        await invocation;
      });
    } catch (error) {
      console.error(`[invoke] CloudFormation got no answer: ${(error as Error).message}`);
    } finally {
      await responses.close();
    }
    result = await invocation;
  } else {
    result = await runner.invoke(logicalId, event);
  }
} finally {
  await runner.stop();
  await stack?.stop();
}

console.log('');
if (cloudFormationAnswer) console.log(`CloudFormation received:\n${JSON.stringify(cloudFormationAnswer, null, 2)}\n`);
if (result.error) {
  console.log(`${logicalId} failed (FunctionError: Unhandled):\n${JSON.stringify(result.error, null, 2)}`);
  process.exit(1);
}
console.log(`${logicalId} returned:\n${JSON.stringify(result.payload, null, 2)}`);

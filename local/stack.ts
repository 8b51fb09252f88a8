/**
 * The whole local stack, programmatically: `startLocalStack(options)` "deploys" template.yaml onto local stand-ins
 * (DynamoDB Local, s3rver behind the signature gate, the Rekognition and Textract servers, the Cognito emulator, SES v2
 * into the dev mailbox, the functions in worker-thread containers) and returns their endpoints and a stop().
 * `npm start`, `npm run invoke`, the flow tests and the demo all use it. Order: the SES endpoint, data services in
 * parallel, then tables, then the custom resources (the collection, by running InitCollectionFunction as
 * CloudFormation would), then the user pool with its triggers, then the HTTP APIs (their JWT authorizers check the
 * user pool's tokens), then the S3 event bridge. All on 127.0.0.1 (DynamoDB Local itself has no bind option); data
 * under `dataDir`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMailbox, startCognitoEmulator, type CognitoEmulator, type Mailbox, type TriggerName } from './cognito/index';
import { startSesEndpoint, type SesEndpoint } from './mailbox/ses';
import { credentialsOf } from './aws/sigv4';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb/dynamodb-local';
import { httpApiOutputs, startTemplateHttpApis } from './http-api/from-template';
import { ensureTables } from './dynamodb/tables';
import { ensureBuilt, functionBundles } from './lambda/bundles';
import type { LocalEndpoints } from './lambda/environment';
import { LambdaRunner } from './lambda/runner';
import { registerTemplateFunction } from './lambda/template-functions';
import { startFaceEnginePool, type FaceEnginePool } from './rekognition/engine-pool/index';
import type { OvalPlacement } from './rekognition/liveness/challenge';
import { startLivenessService, type LivenessService } from './rekognition/liveness/index';
import { startRekognitionServer, type RekognitionServer } from './rekognition/server/index';
import { corsRulesFromTemplate } from './s3/cors';
import { notificationTargets, S3EventBridge } from './s3/event-bridge';
import { startLocalS3, type LocalBucket, type LocalS3 } from './s3/local-s3';
import { localUserPool, type LocalUserPool } from './template/cognito-settings';
import { startTextractServer, type TextractServer } from './textract/index';
import { createCustomResources } from './template/custom-resources';
import { LocalDeployment } from './template/deployment';
import { loadTemplate } from './template/load-template';
import {
  DEFAULT_PORTS,
  freePort,
  LOCAL_ACCOUNT_ID,
  LOCAL_CREDENTIALS,
  LOCAL_HOST,
  LOCAL_REGION,
  LOCAL_STACK_NAME,
} from './template/local-environment';
import { readStackWiring, type StackWiring } from './template/wiring';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export type LocalPorts = { -readonly [Name in keyof typeof DEFAULT_PORTS]: number };

/** Which services to run: `npm run invoke` needs only the data services, not the user pool. */
export interface LocalServices {
  cognito: boolean;
  rekognition: boolean;
  /** Deliver S3 ObjectCreated events to the subscribed functions. */
  s3Events: boolean;
  /** Serve the template's HTTP APIs (an authorizer on the user pool needs the cognito service too). */
  httpApi: boolean;
}

export interface LocalStackOptions {
  /** Default `.local-data` in the project. */
  dataDir?: string;
  /** Wipe dataDir first. */
  reset?: boolean;
  /** Ports of the public endpoints; 0 picks a free one. Defaults from docs/internals.md. */
  ports?: Partial<LocalPorts>;
  templatePath?: string;
  parameterOverrides?: Record<string, string>;
  stackName?: string;
  services?: Partial<LocalServices>;
  /** Worker threads of the face engine pool Rekognition and Face Liveness share; default the cores. */
  faceWorkers?: number;
  /** Where Face Liveness puts each session's oval; default `random`, as Rekognition (see rekognition/liveness/challenge.ts). */
  livenessOvalPlacement?: OvalPlacement;
  /** Run every function's init phase at start, so the first trigger call is warm (default true). */
  warm?: boolean;
  /** Build missing or stale bundles first (default true). */
  build?: boolean;
  /** Where the bundles are (`<distDir>/functions/<folder>/index.mjs`); default `dist` in the project. */
  distDir?: string;
  /** Retry delays of the S3 event bridge (Lambda async: 2 retries). */
  eventRetryDelaysMs?: number[];
  /** Stack progress and service messages. */
  log?: (line: string) => void;
  /** Function log lines, by logical id. */
  functionLog?: (logicalId: string, line: string) => void;
}

export interface LocalStack {
  dataDir: string;
  region: string;
  deployment: LocalDeployment;
  runner: LambdaRunner;
  endpoints: LocalEndpoints & { liveness?: string; cognito?: string; mailbox?: string; jwks?: string };
  /** The self-signed certificate of the liveness stream, which a browser or client must trust. */
  livenessCertificatePath?: string;
  tableName: string;
  bucketName: string;
  collectionId: string;
  userPool?: LocalUserPool['settings'];
  cognito?: CognitoEmulator;
  bridge?: S3EventBridge;
  /** The URL of each HTTP API of the template, by logical id. */
  httpApis: Record<string, string>;
  /** The template's `AccountApiUrl` output, locally, and the `FreshSignInMinutes` parameter its actions allow. */
  accountApi?: { url: string; freshSignInMinutes?: number };
  /** Milliseconds from the call to everything ready. */
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * What an app team passes to Amplify.configure for this stack, plus the Face Liveness settings. The identity pool
 * is not emulated, so identityPoolId is a visible placeholder: locally the app omits it and signs the liveness
 * stream with any keys, which the local liveness endpoint accepts.
 */
export function amplifyConfiguration(stack: LocalStack) {
  return {
    Auth: {
      Cognito: {
        userPoolId: stack.userPool?.id ?? null,
        userPoolClientId: stack.userPool?.clientId ?? null,
        userPoolEndpoint: stack.endpoints.cognito ?? null,
        identityPoolId: 'not emulated locally: omit it (deployed stacks: the IdentityPoolId output)',
        loginWith: { email: true },
      },
    },
    liveness: { region: stack.region, endpointOverride: stack.endpoints.liveness ?? null },
    mailboxUrl: stack.endpoints.mailbox ?? null,
  };
}

/** Where a started stack writes its outputs (like `sam deploy`'s stack outputs) for tools and tests. */
export const STACK_OUTPUTS_FILE = 'stack-outputs.json';

export function stackOutputs(stack: LocalStack) {
  return {
    region: stack.region,
    endpoints: stack.endpoints,
    userPoolId: stack.userPool?.id ?? null,
    userPoolClientId: stack.userPool?.clientId ?? null,
    bucketName: stack.bucketName,
    tableName: stack.tableName,
    collectionId: stack.collectionId,
    livenessCertificatePath: stack.livenessCertificatePath ?? null,
    httpApis: stack.httpApis,
    accountApiUrl: stack.accountApi?.url ?? null,
    credentials: LOCAL_CREDENTIALS,
    amplify: amplifyConfiguration(stack),
  };
}

/** Says which service could not have its port, instead of a bare EADDRINUSE. */
function namePortConflict(service: string, port: number) {
  return (error: NodeJS.ErrnoException): never => {
    if (error.code === 'EADDRINUSE') throw new Error(`${service}: port ${port} is already in use; pass another port or stop what holds it`);
    throw error;
  };
}

const DEFAULT_SERVICES: LocalServices = { cognito: true, rekognition: true, s3Events: true, httpApi: true };

/** What every phase of the start needs. */
interface StartContext {
  options: LocalStackOptions;
  services: LocalServices;
  ports: LocalPorts;
  dataDir: string;
  wiring: StackWiring;
  deployment: LocalDeployment;
  distDir: string;
  log: (line: string) => void;
  /** Time since the start, for the log. */
  elapsed: () => string;
  /** Registers how to stop a part that has started. */
  onStop: (stopOne: () => Promise<void>) => void;
}

interface ImageServices {
  server: RekognitionServer;
  liveness: LivenessService;
  textract: TextractServer;
}

interface DataServices {
  /** One mailbox: the codes Cognito mails and the functions' SES messages land in the same place. */
  mailbox: Mailbox;
  ses: SesEndpoint;
  dynamodb: DynamoDbLocal;
  s3: LocalS3;
  buckets: LocalBucket[];
  rekognition: ImageServices | undefined;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = performance.now();
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    // Last started, first stopped: nothing is left calling a part that is already gone.
    const failures: unknown[] = [];
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'stopping the local stack failed');
  };
  const context = prepareDeployment(options, started, (stopOne) => stoppers.push(stopOne));
  try {
    const data = await startDataServices(context);
    const pool = context.wiring.userPool ? await reserveUserPool(context, data) : undefined;
    const { runner, stack } = await deployFunctions(context, data, pool, stop);
    if (pool?.endpoint) await startUserPool(context, data, pool, runner, stack);
    if (context.services.httpApi && context.wiring.httpApis.length > 0) await startHttpApis(context, runner, stack);
    if (context.services.s3Events) startEventBridge(context, data.s3, runner, stack);
    stack.startupMs = performance.now() - started;
    writeStackOutputs(context, stack);
    return stack;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The data folder, the template read into a deployment, and the function bundles built if stale. */
function prepareDeployment(options: LocalStackOptions, started: number, onStop: StartContext['onStop']): StartContext {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir ?? join(PROJECT_ROOT, '.local-data'));
  if (options.reset) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const wiring = readStackWiring(loadTemplate(options.templatePath ? new URL(`file://${resolve(options.templatePath)}`) : undefined));
  const deployment = new LocalDeployment(wiring, {
    stackName: options.stackName ?? LOCAL_STACK_NAME,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    ...(options.parameterOverrides ? { parameterOverrides: options.parameterOverrides } : {}),
  });
  const distDir = resolve(options.distDir ?? join(PROJECT_ROOT, 'dist'));
  if (options.build ?? true) ensureBuilt(PROJECT_ROOT, functionBundles(Object.values(wiring.functions).map((fn) => fn.bundleFolder)), log);
  return {
    options,
    services: { ...DEFAULT_SERVICES, ...options.services },
    ports: { ...DEFAULT_PORTS, ...options.ports },
    dataDir,
    wiring,
    deployment,
    distDir,
    log,
    elapsed: () => `${((performance.now() - started) / 1000).toFixed(1)} s`,
    onStop,
  };
}

/** SES first, then DynamoDB Local, S3 and the image services in parallel. */
async function startDataServices(context: StartContext): Promise<DataServices> {
  const { deployment, wiring, ports, dataDir, log, elapsed, onStop } = context;
  const buckets = wiring.buckets.map((bucket) => ({
    name: deployment.ref(bucket.logicalId),
    cors: corsRulesFromTemplate(deployment.resolve(bucket.properties.CorsConfiguration ?? null)),
  }));
  const mailbox = createMailbox();
  const ses = await startSesEndpoint({
    host: LOCAL_HOST,
    port: ports.ses,
    region: LOCAL_REGION,
    credentials: credentialsOf(LOCAL_CREDENTIALS),
    mailbox,
    log,
  }).catch(namePortConflict('SES', ports.ses));
  onStop(() => ses.close());

  const dynamodbStart = startDynamoDbLocal({ port: ports.dynamodb, dataDir: join(dataDir, 'dynamodb') }).then((dynamodb) => {
    onStop(() => dynamodb.stop());
    log(`DynamoDB Local ready at ${elapsed()}`);
    return dynamodb;
  });
  const s3Start = startLocalS3({
    port: ports.s3,
    dataDir: join(dataDir, 's3'),
    buckets,
    region: LOCAL_REGION,
    credentials: credentialsOf(LOCAL_CREDENTIALS),
    log,
  })
    .catch(namePortConflict('S3', ports.s3))
    .then((s3) => {
      onStop(() => s3.stop());
      return s3;
    });
  const faceEnginesStart = () =>
    startFaceEnginePool({ workers: context.options.faceWorkers }).then((faceEngines) => {
      onStop(() => faceEngines.close());
      return faceEngines;
    });
  const rekognitionStart = context.services.rekognition
    ? Promise.all([s3Start, faceEnginesStart()]).then(([s3, faceEngines]) => startImageServices(context, s3, faceEngines))
    : Promise.resolve(undefined);
  // allSettled: a failure must not leave a sibling still starting after stop() has run.
  const results = await Promise.allSettled([dynamodbStart, s3Start, rekognitionStart]);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  const [dynamodb, s3, rekognition] = results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as [
    DynamoDbLocal,
    LocalS3,
    ImageServices | undefined,
  ];
  return { mailbox, ses, dynamodb, s3, buckets, rekognition };
}

/** Rekognition and Face Liveness on one face engine pool (image calls first in its queue, as the CLI), and Textract. */
async function startImageServices(context: StartContext, s3: LocalS3, faceEngines: FaceEnginePool): Promise<ImageServices> {
  const { ports, dataDir, onStop } = context;
  const s3Settings = { endpoint: s3.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const rekognitionDir = join(dataDir, 'rekognition');
  const liveness = await startLivenessService({
    engine: faceEngines.liveness,
    s3: s3Settings,
    dataDir: rekognitionDir,
    host: LOCAL_HOST,
    port: ports.liveness,
    region: LOCAL_REGION,
    ovalPlacement: context.options.livenessOvalPlacement,
    // Each decision with its reasons, and why a stream was refused: the client is told neither.
    log: (entry) => context.log(`[liveness] ${JSON.stringify(entry)}`),
  }).catch(namePortConflict('Face Liveness', ports.liveness));
  onStop(() => liveness.close());
  const server = await startRekognitionServer({
    host: LOCAL_HOST,
    port: ports.rekognition,
    dataDir: rekognitionDir,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    s3: s3Settings,
    engine: faceEngines.interactive,
    extraOperations: liveness.operations,
    credentials: credentialsOf(LOCAL_CREDENTIALS),
  }).catch(namePortConflict('Rekognition', ports.rekognition));
  onStop(() => server.close());
  // Textract AnalyzeID (the enrollment's document check) is an image analysis too, started with them.
  const textract = await startTextractServer({
    host: LOCAL_HOST,
    port: ports.textract,
    s3: s3Settings,
    region: LOCAL_REGION,
    credentials: credentialsOf(LOCAL_CREDENTIALS),
  }).catch(namePortConflict('Textract', ports.textract));
  onStop(() => textract.close());
  context.log(`Rekognition, Face Liveness and Textract ready at ${context.elapsed()}`);
  return { server, liveness, textract };
}

/** Tables, then the functions: the custom resources' first (as CloudFormation runs them), then the others, warmed. */
/** The template's user pool, named before anything starts; where the Cognito emulator will serve it, if it runs. */
interface ReservedUserPool {
  pool: LocalUserPool;
  port: number;
  endpoint?: string;
}

/**
 * Names the user pool (its id, so `!Ref UserPool` resolves in a function's environment, whether or not the
 * emulator runs) and fixes the emulator's port before the functions are deployed: the functions that manage users
 * need both, and the pool itself starts only after them, because it invokes the triggers.
 */
async function reserveUserPool(context: StartContext, data: DataServices): Promise<ReservedUserPool> {
  const allowedOrigins = [...new Set(data.buckets.flatMap((bucket) => bucket.cors.flatMap((rule) => rule.allowedOrigins)))];
  const pool = localUserPool(context.deployment, allowedOrigins);
  if (!context.services.cognito) return { pool, port: 0 };
  const port = context.ports.cognito === 0 ? await freePort() : context.ports.cognito;
  return { pool, port, endpoint: `http://${LOCAL_HOST}:${port}` };
}

async function deployFunctions(
  context: StartContext,
  data: DataServices,
  pool: ReservedUserPool | undefined,
  stop: () => Promise<void>,
): Promise<{ runner: LambdaRunner; stack: LocalStack }> {
  const { deployment, wiring, log, elapsed, options } = context;
  const { rekognition } = data;
  const tables = await ensureTables(data.dynamodb.client, deployment, wiring.tables);
  log(`tables ${tables.map((table) => `${table.tableName} (${table.created ? 'created' : 'existing'})`).join(', ')} ready at ${elapsed()}`);

  const endpoints: LocalStack['endpoints'] = {
    dynamodb: data.dynamodb.endpoint,
    s3: data.s3.endpoint,
    sesv2: data.ses.endpoint,
    ...(pool?.endpoint ? { cognito: pool.endpoint } : {}),
    ...(rekognition
      ? {
          rekognition: rekognition.server.endpoint,
          liveness: rekognition.liveness.streamingEndpoint,
          textract: rekognition.textract.endpoint,
        }
      : {}),
  };
  const runner = new LambdaRunner({ ...(options.functionLog ? { log: options.functionLog } : {}) });
  context.onStop(() => runner.stop());
  const register = (logicalId: string) => registerTemplateFunction(runner, deployment, logicalId, { endpoints, distDir: context.distDir });

  // Service-token functions first: the resources they create may be referenced by the others' environments.
  const serviceFunctions = [...new Set(wiring.customResources.map((resource) => resource.serviceTokenFunction))];
  serviceFunctions.forEach(register);
  if (rekognition) {
    await createCustomResources(deployment, wiring.customResources, async (logicalId, event) => {
      await runner.invokeForResult(logicalId, event);
    });
  }
  for (const fn of Object.values(wiring.functions)) if (!serviceFunctions.includes(fn.logicalId)) register(fn.logicalId);
  log(`custom resources ${wiring.customResources.map((resource) => resource.logicalId).join(', ')} created at ${elapsed()}`);
  if (options.warm ?? true) {
    await Promise.all(runner.functions().map((fn) => runner.warm(fn.logicalId)));
    log(`${runner.functions().length} functions warm at ${elapsed()}`);
  }

  const collection = wiring.customResources.find((resource) => resource.type === 'Custom::RekognitionCollection');
  const stack: LocalStack = {
    dataDir: context.dataDir,
    region: LOCAL_REGION,
    deployment,
    runner,
    endpoints,
    tableName: tables[0]?.tableName ?? '',
    bucketName: data.buckets[0]?.name ?? '',
    // The collection custom resource's physical id, which the functions also get as COLLECTION_ID.
    collectionId:
      collection && rekognition ? deployment.ref(collection.logicalId) : (runner.functions()[0]?.environment.COLLECTION_ID ?? ''),
    ...(rekognition ? { livenessCertificatePath: rekognition.liveness.certificatePath } : {}),
    httpApis: {},
    startupMs: 0,
    stop,
  };
  return { runner, stack };
}

/** The Cognito emulator for the template's user pool, its triggers run by the functions' containers. */
async function startUserPool(
  context: StartContext,
  data: DataServices,
  reserved: ReservedUserPool,
  runner: LambdaRunner,
  stack: LocalStack,
): Promise<void> {
  const { pool, port } = reserved;
  const triggers = context.wiring.userPool!.triggers;
  const cognito = await startCognitoEmulator({
    host: LOCAL_HOST,
    port,
    dataDir: context.dataDir,
    region: LOCAL_REGION,
    userPool: pool.settings,
    adminCredentials: LOCAL_CREDENTIALS,
    mailbox: data.mailbox,
    configuredTriggers: Object.keys(triggers) as TriggerName[],
    triggers: async (trigger: TriggerName, event: object) => {
      const logicalId = triggers[trigger];
      if (!logicalId) throw new Error(`template.yaml configures no ${trigger} trigger on ${pool.logicalId}`);
      return runner.invokeForResult<object>(logicalId, event);
    },
  }).catch(namePortConflict('Cognito', port));
  context.onStop(() => cognito.close());
  Object.assign(stack, { cognito, userPool: pool.settings });
  Object.assign(stack.endpoints, { cognito: cognito.endpoint, mailbox: `${cognito.endpoint}/mailbox`, jwks: cognito.jwksUri });
}

/** The template's HTTP APIs, their functions run by the containers; the AccountApiUrl output is the local URL. */
async function startHttpApis(context: StartContext, runner: LambdaRunner, stack: LocalStack): Promise<void> {
  const { deployment, ports, log, elapsed } = context;
  const { cognito, userPool } = stack;
  const apis = await startTemplateHttpApis(deployment, {
    host: LOCAL_HOST,
    port: ports.httpApi,
    ...(cognito && userPool ? { localIssuer: { userPoolId: userPool.id, issuer: cognito.issuer, jwksUri: cognito.jwksUri } } : {}),
    invoke: (logicalId, event) => runner.invoke(logicalId, event),
    log,
  }).catch(namePortConflict('HTTP API', ports.httpApi));
  for (const api of apis) context.onStop(() => api.close());
  stack.httpApis = Object.fromEntries(apis.map((api) => [api.logicalId, api.endpoint]));
  const accountApiUrl = httpApiOutputs(deployment, apis).AccountApiUrl;
  const freshSignInMinutes = deployment.parameters.FreshSignInMinutes;
  if (accountApiUrl) {
    stack.accountApi = {
      url: accountApiUrl,
      ...(freshSignInMinutes !== undefined ? { freshSignInMinutes: Number(freshSignInMinutes) } : {}),
    };
  }
  log(`HTTP APIs ${apis.map((api) => `${api.logicalId} (${api.endpoint})`).join(', ')} ready at ${elapsed()}`);
}

/** Delivers S3 ObjectCreated events to the subscribed functions, as S3 notifications do. */
function startEventBridge(context: StartContext, s3: LocalS3, runner: LambdaRunner, stack: LocalStack): void {
  const bridge = new S3EventBridge({
    source: s3.events,
    targets: notificationTargets(context.deployment),
    region: LOCAL_REGION,
    queueDir: join(context.dataDir, 's3-events'),
    deliver: async (logicalId, event) => {
      await runner.invokeForResult(logicalId, event);
    },
    ...(context.options.eventRetryDelaysMs ? { retryDelaysMs: context.options.eventRetryDelaysMs } : {}),
    log: context.log,
  });
  bridge.start();
  context.onStop(async () => bridge.stop());
  stack.bridge = bridge;
}

/** Writes the outputs file, whose presence means "running": it is the first thing stop() removes. */
function writeStackOutputs(context: StartContext, stack: LocalStack): void {
  const outputsFile = join(context.dataDir, STACK_OUTPUTS_FILE);
  writeFileSync(outputsFile, `${JSON.stringify(stackOutputs(stack), null, 2)}\n`);
  context.onStop(async () => rmSync(outputsFile, { force: true }));
}

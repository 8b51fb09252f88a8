import { existsSync, readFileSync } from 'node:fs';
import { loadClientSettings, loadConfig } from '../../functions/lib/config';
import {
  asMap,
  deployedEnvironment,
  documentedEnvironmentVariables,
  EXAMPLE_STACK,
  FUNCTION_FOLDERS,
  FUNCTION_IDS,
  functionEnvironment,
  functionSetting,
  globalVariables,
  propertiesOf,
  resource,
  template,
  TEMPLATE_FUNCTION_IDS,
} from './stack';

const TRIGGERS = ['DefineAuthChallengeFunction', 'CreateAuthChallengeFunction', 'VerifyAuthChallengeFunction'] as const;

/** Variables Lambda sets itself and refuses in a function's configuration. */
const LAMBDA_RESERVED_VARIABLES = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

/** The client settings (functions/lib/config.ts loadClientSettings) a function may set to fit its own budget. */
const AWS_CALL_SETTINGS = ['AWS_CALL_TIMEOUT_MS', 'AWS_MAX_ATTEMPTS'];

/** What Lambda adds to the template's variables at run time and the configuration reads. */
const LAMBDA_PROVIDED = { AWS_REGION: EXAMPLE_STACK.region };

describe('the functions', () => {
  test('the template declares exactly the seven functions of docs/internals.md', () => {
    const declared = Object.entries(template.Resources)
      .filter(([, { Type }]) => Type === 'AWS::Serverless::Function')
      .map(([logicalId]) => logicalId);
    expect(declared.sort()).toEqual([...FUNCTION_IDS].sort());
  });

  test.each(FUNCTION_IDS)('%s runs on Node.js 22 on arm64 from functions/<folder>/index.ts', (id) => {
    expect(functionSetting(id, 'Runtime')).toBe('nodejs22.x');
    expect(functionSetting(id, 'Architectures')).toEqual(['arm64']);
    expect(functionSetting(id, 'CodeUri')).toBe(`functions/${FUNCTION_FOLDERS[id]}/`);
    expect(functionSetting(id, 'Handler')).toBe('index.handler');
  });

  test.each(FUNCTION_IDS)("%s's entry file exists and exports handler, built by its handler.ts's makeHandler", (id) => {
    const entry = new URL(`../../functions/${FUNCTION_FOLDERS[id]}/index.ts`, import.meta.url);
    expect(existsSync(entry)).toBe(true);
    expect(readFileSync(entry, 'utf8')).toMatch(/export\s+const\s+handler\s*=\s*makeHandler\(/);
    const handler = new URL(`../../functions/${FUNCTION_FOLDERS[id]}/handler.ts`, import.meta.url);
    expect(readFileSync(handler, 'utf8')).toMatch(/export\s+function\s+makeHandler\b/);
  });

  test.each(TRIGGERS)("%s answers within Cognito's 5 second trigger limit", (id) => {
    expect(Number(functionSetting(id, 'Timeout'))).toBeLessThanOrEqual(5);
  });

  test.each(FUNCTION_IDS)('%s is built by SAM with esbuild into one minified ES module loaded as .mjs', (id) => {
    const { BuildMethod, BuildProperties } = asMap(resource(id).Metadata);
    expect(BuildMethod).toBe('esbuild');
    expect(BuildProperties).toMatchObject({
      Format: 'esm',
      Minify: true,
      EntryPoints: ['index.ts'],
      OutExtension: ['.js=.mjs'],
    });
  });

  test('every function is built with the same esbuild settings', () => {
    const [first, ...others] = FUNCTION_IDS.map((id) => resource(id).Metadata);
    for (const metadata of others) expect(metadata).toEqual(first);
  });

  test('every variable of the function environment table in docs/internals.md is set for the functions', () => {
    const documented = documentedEnvironmentVariables();
    expect(documented.length).toBeGreaterThanOrEqual(19);
    expect(Object.keys(globalVariables)).toEqual(expect.arrayContaining(documented));
  });

  test('a function overrides only its AWS call timeout and attempts, never the shared configuration', () => {
    const overridden = TEMPLATE_FUNCTION_IDS.flatMap((id) =>
      Object.keys(asMap(asMap(propertiesOf(id).Environment ?? {}).Variables ?? {})).map((name) => `${id}.${name}`),
    );
    const own = overridden.filter((name) => !AWS_CALL_SETTINGS.includes(name.split('.')[1]!));
    // The functions that manage users name the pool; the triggers cannot (the pool depends on them).
    expect(own.sort()).toEqual(['AccountFunction.USER_POOL_ID', 'SweepDeletedUsersFunction.USER_POOL_ID']);
  });

  test.each(TEMPLATE_FUNCTION_IDS)("%s's AWS call attempts all end within its own timeout, with a second to spare", (id) => {
    const { callTimeoutMs, maxAttempts } = loadClientSettings(functionEnvironment(id));
    expect(callTimeoutMs * maxAttempts).toBeLessThanOrEqual(Number(functionSetting(id, 'Timeout')) * 1000 - 1000);
  });

  test('IndexFaceFunction waits long enough for the largest photo to reach Rekognition at 10 Mbit/s and be analysed', () => {
    const largestPhotoBytes = Number(template.Parameters?.EnrollmentMaxBytes?.MaxValue);
    const sendMs = (largestPhotoBytes * 8) / 10_000;
    const { callTimeoutMs } = loadClientSettings(functionEnvironment('IndexFaceFunction'));
    expect(callTimeoutMs).toBeGreaterThanOrEqual(sendMs + 3000);
    expect(callTimeoutMs).toBeGreaterThan(loadClientSettings(deployedEnvironment()).callTimeoutMs);
  });

  test('no function sets a variable Lambda reserves for itself', () => {
    const names = Object.keys(globalVariables);
    expect(names.filter((name) => LAMBDA_RESERVED_VARIABLES.includes(name))).toEqual([]);
  });

  test("the deployed environment with every parameter at its default passes the functions' configuration", () => {
    const environment = deployedEnvironment();
    const config = loadConfig({ ...environment, ...LAMBDA_PROVIDED });
    expect(config.bucketName).toBe(`face-login-${EXAMPLE_STACK.accountId}-00000000-0000-0000-0000-000000000000`);
    expect(config.collectionId).toBe(`${EXAMPLE_STACK.stackName}-faces`);
    expect(config.similarityThreshold).toBe(90);
  });

  test("every bound a number parameter allows is accepted by the functions' configuration", () => {
    const numberParameters = Object.entries(template.Parameters ?? {}).filter(([, { Type }]) => Type === 'Number');
    const passedToFunctions = numberParameters.filter(([name]) =>
      Object.values(globalVariables).some((value) => JSON.stringify(value) === JSON.stringify({ Ref: name })),
    );
    expect(passedToFunctions.length).toBeGreaterThanOrEqual(10);
    for (const [name, { MinValue, MaxValue }] of passedToFunctions) {
      expect({ name, MinValue, MaxValue }).toEqual({ name, MinValue: expect.any(Number), MaxValue: expect.any(Number) });
      for (const bound of [MinValue, MaxValue]) {
        expect(() => loadConfig({ ...deployedEnvironment({ [name]: String(bound) }), ...LAMBDA_PROVIDED })).not.toThrow();
      }
    }
  });

  test("every value a string parameter allows is accepted by the functions' configuration", () => {
    for (const name of ['DuplicateFacePolicy', 'QualityFilter']) {
      const allowedValues = template.Parameters?.[name]?.AllowedValues as string[] | undefined;
      expect(allowedValues?.length).toBeGreaterThan(0);
      for (const allowed of allowedValues ?? []) {
        expect(() => loadConfig({ ...deployedEnvironment({ [name]: allowed }), ...LAMBDA_PROVIDED })).not.toThrow();
      }
    }
  });
});

describe('the expiry sweep', () => {
  test('ExpireEnrollmentsFunction runs every hour', () => {
    expect(functionSetting('ExpireEnrollmentsFunction', 'Events')).toEqual({
      Hourly: { Type: 'Schedule', Properties: { Schedule: 'rate(1 hour)' } },
    });
  });
});

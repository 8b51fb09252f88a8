/**
 * Turns a deployed SAM stack's Outputs into the web app's config.json:
 *
 *   aws cloudformation describe-stacks --stack-name X --query 'Stacks[0].Outputs' > outputs.json
 *   npx tsx scripts/app-config-from-stack.ts outputs.json > dist/app/config.json
 *
 * Needs the Outputs Region, UserPoolId, UserPoolClientId and IdentityPoolId (BucketName is not the app's
 * business: upload URLs come with each challenge), and takes AccountApiUrl with FreshSignInMinutes when the stack
 * has the account API. The face model and wasm binaries are served with the app.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LOCKOUT_MINUTES, parseAppConfig, type AppConfig } from '../app/src/config';

interface StackOutput {
  OutputKey: string;
  OutputValue: string;
}

const REQUIRED = ['Region', 'UserPoolId', 'UserPoolClientId', 'IdentityPoolId'] as const;

export function appConfigFromStackOutputs(outputs: unknown, lockoutMinutes = DEFAULT_LOCKOUT_MINUTES): AppConfig {
  if (!Array.isArray(outputs)) throw new Error('expected the JSON array of Stacks[0].Outputs');
  const values = new Map<string, string>();
  for (const output of outputs as Partial<StackOutput>[]) {
    if (typeof output?.OutputKey !== 'string' || typeof output.OutputValue !== 'string') {
      throw new Error(`every output needs OutputKey and OutputValue strings, got ${JSON.stringify(output)}`);
    }
    values.set(output.OutputKey, output.OutputValue);
  }
  const missing = REQUIRED.filter((key) => !values.has(key));
  if (missing.length > 0) throw new Error(`the stack outputs lack ${missing.join(', ')}`);
  const accountApiUrl = values.get('AccountApiUrl');
  return parseAppConfig({
    ...(accountApiUrl === undefined
      ? {}
      : { accountApiUrl: accountApiUrl.replace(/\/+$/, ''), freshSignInMinutes: Number(values.get('FreshSignInMinutes')) }),
    region: values.get('Region'),
    userPoolId: values.get('UserPoolId'),
    userPoolClientId: values.get('UserPoolClientId'),
    identityPoolId: values.get('IdentityPoolId'),
    lockoutMinutes,
    liveness: { faceModelUrl: '/models/blazeface/model.json', binaryPath: '/tfjs-wasm/' },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, lockout] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx scripts/app-config-from-stack.ts <outputs.json> [lockoutMinutes]');
    process.exit(2);
  }
  try {
    const config = appConfigFromStackOutputs(JSON.parse(await readFile(file, 'utf8')), lockout ? Number(lockout) : undefined);
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
  } catch (error) {
    console.error(`app-config-from-stack: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

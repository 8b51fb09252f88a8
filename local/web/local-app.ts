/**
 * The web app on the local stack: its config.json from the running stack's endpoints, and the server for it.
 * The stack assembly (`npm start`) calls `startLocalAppServer(stack, { port })` once the stack is up.
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_LOCKOUT_MINUTES, type AppConfig } from '../../app/src/config';
import { startAppServer, type AppServer } from './serve-app';

export const APP_DIST_DIR = fileURLToPath(new URL('../../dist/app', import.meta.url));

/** The parts of a started LocalStack (local/stack.ts) the app needs. */
export interface LocalStackEndpoints {
  region: string;
  userPool?: { id: string; clientId: string };
  endpoints: { s3: string; cognito?: string; mailbox?: string; liveness?: string };
  /** The account API's URL and the FreshSignInMinutes window of its actions, when the template has them. */
  accountApi?: { url: string; freshSignInMinutes?: number };
  /** Each function's environment, for LOCKOUT_MINUTES (the Define trigger's lockout). */
  runner: { functions(): { environment: Record<string, string> }[] };
}

export function localAppConfig(stack: LocalStackEndpoints): AppConfig {
  const { userPool, endpoints } = stack;
  if (!userPool || !endpoints.cognito) throw new Error('the local stack runs no user pool: start it with the cognito service');
  if (!endpoints.liveness) throw new Error('the local stack has no Face Liveness endpoint: start it with the rekognition service');
  const lockout = stack.runner.functions().find((fn) => fn.environment.LOCKOUT_MINUTES)?.environment.LOCKOUT_MINUTES;
  const { accountApi } = stack;
  // The app takes the account API only with its window: without it, it would show the user a wrong deadline.
  const account =
    accountApi?.freshSignInMinutes === undefined
      ? undefined
      : { accountApiUrl: accountApi.url, freshSignInMinutes: accountApi.freshSignInMinutes };
  const config: AppConfig = {
    region: stack.region,
    userPoolId: userPool.id,
    userPoolClientId: userPool.clientId,
    userPoolEndpoint: endpoints.cognito,
    // No identity pool locally: the liveness stream is signed with fixed development keys the local server accepts.
    ...(endpoints.mailbox ? { mailboxUrl: endpoints.mailbox } : {}),
    lockoutMinutes: lockout ? Number(lockout) : DEFAULT_LOCKOUT_MINUTES,
    liveness: { endpointOverride: endpoints.liveness, faceModelUrl: '/models/blazeface/model.json', binaryPath: '/tfjs-wasm/' },
  };
  return account ? { ...config, ...account } : config;
}

/**
 * Serves dist/app for the stack on 127.0.0.1. Its url names `localhost`, the origin the template's default
 * AllowedOrigins (http://localhost:3000) lists, which the bucket's CORS and the Cognito emulator's both follow.
 */
export async function startLocalAppServer(stack: LocalStackEndpoints, options: { port: number; distDir?: string }): Promise<AppServer> {
  const server = await startAppServer({
    host: '127.0.0.1',
    port: options.port,
    distDir: options.distDir ?? APP_DIST_DIR,
    config: localAppConfig(stack),
    // Presigned upload URLs point at the S3 endpoint.
    connectSources: [stack.endpoints.s3],
  });
  return { ...server, url: server.url.replace('//127.0.0.1:', '//localhost:') };
}

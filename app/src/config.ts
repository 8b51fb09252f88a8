/**
 * The runtime configuration the app fetches from `/config.json`, so one bundle runs against the local
 * stack and against a deployed stack. Validated here so a broken file fails with a precise message.
 */
export interface LivenessConfig {
  /** Face Liveness streaming endpoint (https:// or wss://; the SDK opens a wss socket); absent on AWS. */
  endpointOverride?: string;
  /** URL of the BlazeFace model.json; relative URLs resolve against the page. */
  faceModelUrl: string;
  /** Folder URL holding the tfjs-backend-wasm binaries, ending in "/". */
  binaryPath: string;
}

/**
 * The signed-in account API (replace the ID photo, delete the account). A stack without it leaves both fields out,
 * and the signed-in screen then offers neither action.
 */
export type AccountApiConfig =
  | { accountApiUrl?: undefined; freshSignInMinutes?: undefined }
  | {
      /** Base URL of the API, without a trailing slash. */
      accountApiUrl: string;
      /** How long after a face sign-in the API allows those actions (the account function's window). */
      freshSignInMinutes: number;
    };

export type AppConfig = AccountApiConfig & {
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** The Cognito API endpoint; absent on AWS. */
  userPoolEndpoint?: string;
  /** Identity pool for the liveness stream's guest credentials; absent locally, where any key is accepted. */
  identityPoolId?: string;
  /** Link shown next to the code prompt when a development mailbox holds the emails (local stack only). */
  mailboxUrl?: string;
  /** How long a user stays locked out after too many failed checks (LOCKOUT_MINUTES of the functions). */
  lockoutMinutes: number;
  liveness: LivenessConfig;
};

export const DEFAULT_LOCKOUT_MINUTES = 30;

export class AppConfigError extends Error {
  override name = 'AppConfigError';
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(source: JsonObject, key: string, where: string): string {
  const value = source[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AppConfigError(`${where}.${key} must be a non-empty string`);
  }
  return value;
}

function optionalString(source: JsonObject, key: string, where: string): string | undefined {
  if (source[key] === undefined) return undefined;
  return requiredString(source, key, where);
}

function minutes(source: JsonObject, key: string, fallback?: number): number {
  const value = source[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new AppConfigError(`config.${key} must be a positive whole number`);
  }
  return value;
}

function optionalUrl(source: JsonObject, key: string, where: string, protocols: string[]): string | undefined {
  const value = optionalString(source, key, where);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppConfigError(`${where}.${key} must be an absolute URL, got "${value}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new AppConfigError(`${where}.${key} must use ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
  return value;
}

const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Validates the parsed JSON of `/config.json`; throws AppConfigError naming the first bad field. */
export function parseAppConfig(raw: unknown): AppConfig {
  if (!isObject(raw)) throw new AppConfigError('config must be a JSON object');
  const region = requiredString(raw, 'region', 'config');
  if (!REGION.test(region)) throw new AppConfigError(`config.region is not an AWS region: "${region}"`);
  const userPoolId = requiredString(raw, 'userPoolId', 'config');
  if (!USER_POOL_ID.test(userPoolId)) {
    throw new AppConfigError(`config.userPoolId must look like "<region>_<id>", got "${userPoolId}"`);
  }
  const accountApiUrl = optionalUrl(raw, 'accountApiUrl', 'config', ['http:', 'https:']);
  // The client appends paths that start with "/".
  if (accountApiUrl?.endsWith('/')) throw new AppConfigError('config.accountApiUrl must not end with "/"');
  // The window has no default: a wrong one would tell the user a wrong deadline.
  const accountApi: AccountApiConfig = accountApiUrl ? { accountApiUrl, freshSignInMinutes: minutes(raw, 'freshSignInMinutes') } : {};
  const liveness = raw.liveness;
  if (!isObject(liveness)) throw new AppConfigError('config.liveness must be an object');
  const binaryPath = requiredString(liveness, 'binaryPath', 'config.liveness');
  if (!binaryPath.endsWith('/')) {
    throw new AppConfigError('config.liveness.binaryPath must end with "/" (tfjs appends the wasm file name)');
  }
  const identityPoolId = optionalString(raw, 'identityPoolId', 'config');
  const endpointOverride = optionalUrl(liveness, 'endpointOverride', 'config.liveness', ['https:', 'wss:']);
  if (identityPoolId === undefined && endpointOverride === undefined) {
    // Without an identity pool there are no AWS credentials, so only a local endpoint can be used.
    throw new AppConfigError('config.identityPoolId is required unless config.liveness.endpointOverride is set');
  }
  return {
    region,
    userPoolId,
    userPoolClientId: requiredString(raw, 'userPoolClientId', 'config'),
    userPoolEndpoint: optionalUrl(raw, 'userPoolEndpoint', 'config', ['http:', 'https:']),
    identityPoolId,
    mailboxUrl: optionalUrl(raw, 'mailboxUrl', 'config', ['http:', 'https:']),
    lockoutMinutes: minutes(raw, 'lockoutMinutes', DEFAULT_LOCKOUT_MINUTES),
    ...accountApi,
    liveness: {
      endpointOverride,
      faceModelUrl: requiredString(liveness, 'faceModelUrl', 'config.liveness'),
      binaryPath,
    },
  };
}

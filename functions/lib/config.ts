/**
 * Function configuration: read once from the environment, validated at cold start, typed.
 * A bad value throws with the variable's name, so a misconfigured stack fails loudly instead of
 * running with a threshold like 0.9 that would accept any face.
 */

export type QualityFilter = 'NONE' | 'AUTO' | 'LOW' | 'MEDIUM' | 'HIGH';
export type DuplicateFacePolicy = 'REJECT' | 'ALLOW';
/** REQUIRE refuses a photo that is not an unexpired ID document; RECORD checks and keeps the result, never refuses. */
export type DocumentCheckPolicy = 'REQUIRE' | 'RECORD' | 'OFF';

export interface Config {
  region: string;
  tableName: string;
  bucketName: string;
  collectionId: string;
  similarityThreshold: number;
  livenessThreshold: number;
  faceMatchThreshold: number;
  maxAttempts: number;
  lockoutFailures: number;
  /** Failed checks within a day that lock the user for a day. */
  lockoutDailyFailures: number;
  lockoutWindowSeconds: number;
  lockoutMinutes: number;
  duplicateFacePolicy: DuplicateFacePolicy;
  enrollmentMaxBytes: number;
  uploadUrlTtlSeconds: number;
  livenessSessionTtlSeconds: number;
  qualityFilter: QualityFilter;
  documentCheck: DocumentCheckPolicy;
  /** Keep the holder's name, document number and date of birth from the document check (off: data minimisation). */
  documentKeepIdentity: boolean;
  /** Address the sign-in codes come from; its SES identity is `emailIdentityArn` when one is set. */
  emailSender: string;
  emailIdentityArn?: string;
  /** How long an accepted ID photo stays provisional (blocks nobody) before it expires unconfirmed. */
  provisionalEnrollmentHours: number;
  /** How long after a face sign-in its tokens may replace the ID photo or delete the account. */
  freshSignInMinutes: number;
}

/** What every AWS client needs; init-collection uses only this, so it needs no table or bucket. */
export interface ClientSettings {
  callTimeoutMs: number;
  maxAttempts: number;
  forcePathStyle: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is required`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${value}`);
  return value;
}

/** Rekognition thresholds are percentages; a fraction such as 0.9 is the classic mistake, refused by the range. */
function percentage(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(`${name} must be a percentage from ${min} to 100, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > 100) {
    throw new ConfigError(`${name} must be a percentage from ${min} to 100 (not a fraction), got ${value}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  return oneOf(env, name, fallback ? 'true' : 'false', ['true', 'false'] as const) === 'true';
}

function emailAddress(env: Env, name: string): string {
  const value = required(env, name);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new ConfigError(`${name} must be an email address, got "${value}"`);
  return value;
}

function optionalArn<K extends string>(env: Env, name: string, field: K): Partial<Record<K, string>> {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return {};
  if (!/^arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity\/.+$/.test(raw)) {
    throw new ConfigError(`${name} must be an SES identity ARN, got "${raw}"`);
  }
  return { [field]: raw } as Partial<Record<K, string>>;
}

export const REKOGNITION_MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export function loadClientSettings(env: Env): ClientSettings {
  return {
    callTimeoutMs: integer(env, 'AWS_CALL_TIMEOUT_MS', 1500, 100, 30000),
    maxAttempts: integer(env, 'AWS_MAX_ATTEMPTS', 2, 1, 5),
    forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', false),
  };
}

export function loadConfig(env: Env): Config {
  return {
    region: required(env, 'AWS_REGION'),
    tableName: required(env, 'TABLE_NAME'),
    bucketName: required(env, 'BUCKET_NAME'),
    collectionId: required(env, 'COLLECTION_ID'),
    similarityThreshold: percentage(env, 'SIMILARITY_THRESHOLD', 90, 90),
    livenessThreshold: percentage(env, 'LIVENESS_THRESHOLD', 90, 50),
    faceMatchThreshold: percentage(env, 'FACE_MATCH_THRESHOLD', 90, 80),
    maxAttempts: integer(env, 'MAX_ATTEMPTS', 3, 1, 10),
    lockoutFailures: integer(env, 'LOCKOUT_FAILURES', 5, 1, 100),
    lockoutWindowSeconds: integer(env, 'LOCKOUT_WINDOW_SECONDS', 180, 1, 86400),
    lockoutMinutes: integer(env, 'LOCKOUT_MINUTES', 30, 1, 10080),
    lockoutDailyFailures: integer(env, 'LOCKOUT_DAILY_FAILURES', 20, 1, 1000),
    duplicateFacePolicy: oneOf(env, 'DUPLICATE_FACE_POLICY', 'REJECT', ['REJECT', 'ALLOW'] as const),
    enrollmentMaxBytes: integer(env, 'ENROLLMENT_MAX_BYTES', REKOGNITION_MAX_IMAGE_BYTES, 1, REKOGNITION_MAX_IMAGE_BYTES),
    uploadUrlTtlSeconds: integer(env, 'UPLOAD_URL_TTL_SECONDS', 120, 30, 900),
    livenessSessionTtlSeconds: integer(env, 'LIVENESS_SESSION_TTL_SECONDS', 180, 30, 180),
    qualityFilter: oneOf(env, 'QUALITY_FILTER', 'AUTO', ['NONE', 'AUTO', 'LOW', 'MEDIUM', 'HIGH'] as const),
    documentCheck: oneOf(env, 'DOCUMENT_CHECK', 'REQUIRE', ['REQUIRE', 'RECORD', 'OFF'] as const),
    documentKeepIdentity: boolean(env, 'DOCUMENT_KEEP_IDENTITY', false),
    emailSender: emailAddress(env, 'EMAIL_SENDER'),
    ...optionalArn(env, 'EMAIL_IDENTITY_ARN', 'emailIdentityArn'),
    provisionalEnrollmentHours: integer(env, 'PROVISIONAL_ENROLLMENT_HOURS', 24, 1, 720),
    freshSignInMinutes: integer(env, 'FRESH_SIGN_IN_MINUTES', 5, 1, 60),
  };
}

/** The user pool of the functions that manage users (not the triggers: the pool depends on them, a cycle). */
export function loadUserPoolId(env: Env): string {
  const value = required(env, 'USER_POOL_ID');
  if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(value)) throw new ConfigError(`USER_POOL_ID must be a user pool id, got "${value}"`);
  return value;
}

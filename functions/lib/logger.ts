/**
 * One structured JSON logger per container. Callers log decisions and ids, never images, challenge answers,
 * presigned URLs or fields, or tokens; whole events go out only at DEBUG and only through `redactEvent`.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'cognito-face-login',
  logLevel: (process.env.LOG_LEVEL ?? 'INFO').toUpperCase() as 'INFO',
});

const REDACTED = '[redacted]';
/** Fields of events that carry answers, the server's private state, presigned upload credentials or tokens. */
const SECRET_FIELDS = new Set([
  'challengeAnswer',
  'privateChallengeParameters',
  'uploadUrl',
  'uploadFields',
  'clientMetadata',
  'authorization',
  'cookie',
  'cookies',
]);

/** A deep copy of an event with every secret field replaced, safe to log at DEBUG. */
export function redactEvent(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactEvent);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, SECRET_FIELDS.has(key) ? REDACTED : redactEvent(inner)]));
}

/** Logs the incoming event at DEBUG, redacted. */
export function logEvent(event: unknown): void {
  if (logger.getLevelName() === 'DEBUG') logger.debug('event received', { event: redactEvent(event) });
}

/** The error's name and message for a log line: never its stack of request data. */
export function describeError(error: unknown): { errorName: string; errorMessage: string } {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorName: 'NonError', errorMessage: String(error) };
}

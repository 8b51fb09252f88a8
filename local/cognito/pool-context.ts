/**
 * What every part of the user pool shares: its settings and services, and the checks and look-ups each operation
 * starts with (the app client, the client's flows, a user by name, the request's members).
 */
import type { Clock } from '../aws/clock';
import { AwsError } from '../aws/errors';
import { RequestReader } from '../aws/request-reader';
import type { Mailbox } from '../mailbox/index';
import { invalidParameter } from './errors';
import { ownValue, type CognitoStore, type StoredUser } from './store';
import type { TokenSigner } from './tokens';
import type { StringMap, TriggerContext, TriggerRunner, TriggerSubject } from './triggers';

export interface UserPoolSettings {
  /** `<region>_<suffix>`, e.g. `us-east-1_LocalPool1`. */
  id: string;
  name: string;
  clientId: string;
  clientName: string;
  /** How long one Session token may be answered: Cognito allows 3 to 15 minutes. */
  authSessionValiditySeconds: number;
  accessTokenValiditySeconds: number;
  idTokenValiditySeconds: number;
  refreshTokenValiditySeconds: number;
  preventUserExistenceErrors: boolean;
  /** The client's flows; this emulator implements `ALLOW_CUSTOM_AUTH` and `ALLOW_REFRESH_TOKEN_AUTH`. */
  explicitAuthFlows: string[];
  /** Browser origins allowed to call the API (CORS). */
  allowedOrigins: string[];
}

/** What the HTTP layer knows about the caller that an operation needs. */
export interface CallerInfo {
  /** Cognito's `callerContext.awsSdkVersion`, e.g. `aws-sdk-js-3.1169.0` or `aws-sdk-unknown-unknown`. */
  awsSdkVersion: string;
}

export type Operation = (input: Record<string, unknown>, caller: CallerInfo) => Promise<Record<string, unknown>>;

export interface PoolContext {
  settings: UserPoolSettings;
  region: string;
  store: CognitoStore;
  signer: TokenSigner;
  triggers: TriggerRunner;
  mailbox: Mailbox;
  now: Clock;
}

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A reader of the request's members; broken constraints are refused as Cognito refuses them. */
export function readRequest(input: Record<string, unknown>): RequestReader {
  return RequestReader.of(input, 'InvalidParameterException');
}

/**
 * The Username member, within Cognito's limit of 128 characters: a longer one is refused before any pattern is
 * tried on it (the email pattern takes time growing with the square of the length).
 */
export function requiredUsername(reader: RequestReader): string {
  return reader.string('Username', { required: true, minLength: 1, maxLength: 128 });
}

/** A required string member: present and not empty. */
export function requiredString(reader: RequestReader, member: string): string {
  return reader.string(member, { required: true, minLength: 1 });
}

/** A list of `{ Name, Value }` attributes (UserAttributes, ValidationData). */
export function attributeList(
  reader: RequestReader,
  member: string,
  list: { required?: boolean; minLength?: number } = {},
): Array<{ Name: string; Value: string }> {
  return (reader.structureList(member, list) ?? []).map((attribute) => ({
    Name: attribute.string('Name', { required: true }),
    Value: attribute.string('Value', { required: true }),
  }));
}

/** Refuses a ClientId other than the pool's one app client. */
export function checkClient(context: PoolContext, clientId: string): void {
  if (clientId !== context.settings.clientId)
    throw new AwsError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
}

export function requireFlow(context: PoolContext, allowed: string, flow: string): void {
  if (!context.settings.explicitAuthFlows.includes(allowed)) throw invalidParameter(`${flow} is not enabled for the client.`);
}

/** A named entry of AuthParameters or ChallengeResponses, which Cognito checks after the request's shape. */
export function requireParameter(parameters: StringMap, name: string): string {
  const value = parameters[name];
  if (!value) throw invalidParameter(`Missing required parameter ${name}`);
  return value;
}

/** By generated username (= sub) or by email, case-insensitively as the pool's usernames are. */
export function findUser(context: PoolContext, name: string): StoredUser | undefined {
  const users = context.store.users.value;
  const key = name.toLowerCase();
  return ownValue(users, key) ?? Object.values(users).find((u) => u.email === key);
}

export function triggerContext(context: PoolContext, caller: CallerInfo, clientMetadata: StringMap | undefined): TriggerContext {
  return {
    region: context.region,
    userPoolId: context.settings.id,
    clientId: context.settings.clientId,
    awsSdkVersion: caller.awsSdkVersion,
    clientMetadata,
    reportUserNotFound: context.settings.preventUserExistenceErrors,
  };
}

export function subjectOf(user: StoredUser): TriggerSubject {
  return {
    userName: user.username,
    userAttributes: {
      sub: user.sub,
      email_verified: String(user.emailVerified),
      'cognito:user_status': user.status,
      email: user.email,
    },
    userNotFound: false,
  };
}

export function attributesOf(user: StoredUser) {
  return [
    { Name: 'sub', Value: user.sub },
    { Name: 'email_verified', Value: String(user.emailVerified) },
    { Name: 'email', Value: user.email },
  ];
}

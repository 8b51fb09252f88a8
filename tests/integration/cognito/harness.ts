/**
 * Starts the Cognito emulator on a free loopback port with a fresh data folder, an adjustable clock, and test
 * triggers that stand in for the Lambda functions: a two-step enroll-like flow (ENROLL, then FACE; tokens after
 * a correct FACE answer; three wrong answers end it). Every trigger event is recorded for shape checks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  createMailbox,
  startCognitoEmulator,
  type CognitoEmulator,
  type CognitoEmulatorOptions,
  type TriggerName,
} from '../../../local/cognito/index';

export const REGION = 'eu-west-1';
export const POOL_ID = 'eu-west-1_TestPool1';
export const CLIENT_ID = 'testclient1';
export const ADMIN = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };
export const PASSWORD = 'Aa1!random-password';

// biome-ignore lint/suspicious/noExplicitAny: the harness records whatever event the emulator sends
type AnyEvent = { request: Record<string, any>; response: Record<string, any>; [key: string]: any };
export type TriggerHandler = (event: AnyEvent) => Promise<object>;
export interface RecordedCall {
  trigger: TriggerName;
  event: AnyEvent;
}

/** The test Define trigger: ENROLL, then FACE, tokens after a correct FACE; three wrong answers fail. */
export const defineEnrolLike: TriggerHandler = async (event) => {
  const session = event.request.session as Array<{ challengeResult: boolean; challengeMetadata: string | null }>;
  const last = session[session.length - 1];
  const wrong = session.filter((s) => !s.challengeResult).length;
  if (event.request.userNotFound) {
    event.response = { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: wrong >= 3 };
  } else if (wrong >= 3) {
    event.response = { issueTokens: false, failAuthentication: true };
  } else if (last?.challengeResult && last.challengeMetadata === 'FACE') {
    event.response = { issueTokens: true, failAuthentication: false };
  } else {
    event.response = { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
  }
  return event;
};

/** The test Create trigger: FACE once an ENROLL answer was right, else ENROLL; a fresh secret each time. */
export const createEnrolLike: TriggerHandler = async (event) => {
  const session = event.request.session as Array<{ challengeResult: boolean; challengeMetadata: string | null }>;
  const enrolled = session.some((s) => s.challengeResult && s.challengeMetadata === 'ENROLL');
  const step = enrolled ? 'FACE' : 'ENROLL';
  const secret = randomUUID();
  event.response = {
    publicChallengeParameters: { step, hint: secret },
    privateChallengeParameters: { answer: secret },
    challengeMetadata: step,
  };
  return event;
};

export const verifyEnrolLike: TriggerHandler = async (event) => {
  event.response = { answerCorrect: event.request.challengeAnswer === event.request.privateChallengeParameters.answer };
  return event;
};

export interface TestPool {
  emulator: CognitoEmulator;
  client: CognitoIdentityProviderClient;
  calls: RecordedCall[];
  handlers: Record<TriggerName, TriggerHandler>;
  consoleLines: string[];
  dataDir: string;
  /** Moves the emulator's clock forward. */
  advance(ms: number): void;
  /** Stops and starts again on the same data folder (a new port, so a new issuer). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestPool(
  overrides: Partial<Omit<CognitoEmulatorOptions, 'userPool'>> & { userPool?: Partial<CognitoEmulatorOptions['userPool']> } = {},
): Promise<TestPool> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cognito-emulator-'));
  let offset = 0;
  const calls: RecordedCall[] = [];
  const consoleLines: string[] = [];
  const handlers: Record<TriggerName, TriggerHandler> = {
    // Called only by a pool started with PreSignUp among its configuredTriggers.
    PreSignUp: async (event) => event,
    DefineAuthChallenge: defineEnrolLike,
    CreateAuthChallenge: createEnrolLike,
    VerifyAuthChallengeResponse: verifyEnrolLike,
  };
  const { userPool, ...rest } = overrides;
  const options: CognitoEmulatorOptions = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    region: REGION,
    userPool: {
      id: POOL_ID,
      name: 'test-pool',
      clientId: CLIENT_ID,
      clientName: 'test-web',
      authSessionValiditySeconds: 180,
      accessTokenValiditySeconds: 3600,
      idTokenValiditySeconds: 3600,
      refreshTokenValiditySeconds: 86400,
      preventUserExistenceErrors: true,
      explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      allowedOrigins: ['http://localhost:3000'],
      ...userPool,
    },
    triggers: async (trigger, event) => {
      calls.push({ trigger, event: structuredClone(event) as AnyEvent });
      return handlers[trigger](event as AnyEvent);
    },
    adminCredentials: ADMIN,
    mailbox: createMailbox((line) => consoleLines.push(line)),
    clock: () => Date.now() + offset,
    ...rest,
  };
  const pool: TestPool = {
    emulator: await startCognitoEmulator(options),
    client: undefined as unknown as CognitoIdentityProviderClient,
    calls,
    handlers,
    consoleLines,
    dataDir,
    advance: (ms) => {
      offset += ms;
    },
    async restart() {
      await pool.emulator.close();
      pool.client.destroy();
      pool.emulator = await startCognitoEmulator({ ...options, mailbox: pool.emulator.mailbox });
      pool.client = clientFor(pool.emulator);
    },
    async stop() {
      pool.client.destroy();
      await pool.emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  pool.client = clientFor(pool.emulator);
  return pool;
}

export function clientFor(emulator: CognitoEmulator, credentials = ADMIN): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint: emulator.endpoint, region: REGION, credentials, maxAttempts: 1 });
}

/** The latest code the mailbox holds for an address. */
export function latestCode(pool: TestPool, email: string): string {
  const messages = pool.emulator.mailbox.to(email);
  const last = messages[messages.length - 1];
  if (!last) throw new Error(`no mail for ${email}`);
  return last.code;
}

export async function signUpAndConfirm(pool: TestPool, email: string): Promise<string> {
  const { UserSub } = await pool.client.send(
    new SignUpCommand({
      ClientId: CLIENT_ID,
      Username: email,
      Password: PASSWORD,
      UserAttributes: [{ Name: 'email', Value: email }],
    }),
  );
  await pool.client.send(new ConfirmSignUpCommand({ ClientId: CLIENT_ID, Username: email, ConfirmationCode: latestCode(pool, email) }));
  return UserSub!;
}

export function startCustomAuth(pool: TestPool, username: string, clientMetadata?: Record<string, string>) {
  return pool.client.send(
    new InitiateAuthCommand({
      ClientId: CLIENT_ID,
      AuthFlow: 'CUSTOM_AUTH',
      AuthParameters: { USERNAME: username },
      ClientMetadata: clientMetadata,
    }),
  );
}

export function answer(pool: TestPool, username: string, session: string, value: string, clientMetadata?: Record<string, string>) {
  return pool.client.send(
    new RespondToAuthChallengeCommand({
      ClientId: CLIENT_ID,
      ChallengeName: 'CUSTOM_CHALLENGE',
      Session: session,
      ChallengeResponses: { USERNAME: username, ANSWER: value },
      ClientMetadata: clientMetadata,
    }),
  );
}

/** Runs the whole enroll-like sign-in with right answers and returns the tokens. */
export async function signIn(pool: TestPool, email: string) {
  const first = await startCustomAuth(pool, email);
  const second = await answer(pool, email, first.Session!, first.ChallengeParameters!.hint!);
  const third = await answer(pool, email, second.Session!, second.ChallengeParameters!.hint!);
  if (!third.AuthenticationResult) throw new Error('sign-in did not issue tokens');
  return third.AuthenticationResult;
}

/**
 * `npm run bench:cognito`: what the emulator itself costs per call, through the real SDK on loopback, with
 * in-process triggers that answer at once (a one-step challenge), so the numbers are the emulator's own:
 * SignUp (scrypt), ConfirmSignUp, a one-step custom-auth sign-in (InitiateAuth + RespondToAuthChallenge, RS256 signing),
 * REFRESH_TOKEN_AUTH and GetUser. Prints median and p95 milliseconds over BENCH_USERS users (default 40).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  GetUserCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createMailbox, startCognitoEmulator, type AuthChallengeTrigger } from './index';

// biome-ignore lint/suspicious/noExplicitAny: the bench's triggers read whatever the emulator sends
type ChallengeEvent = { request: Record<string, any>; response: Record<string, unknown> };

const oneStepTriggers: Record<AuthChallengeTrigger, (event: ChallengeEvent) => ChallengeEvent> = {
  DefineAuthChallenge: (event) => {
    const done = event.request.session.at(-1)?.challengeResult === true;
    event.response = done
      ? { issueTokens: true, failAuthentication: false }
      : { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
    return event;
  },
  CreateAuthChallenge: (event) => {
    const secret = randomUUID();
    event.response = { publicChallengeParameters: { secret }, privateChallengeParameters: { secret }, challengeMetadata: 'ONE_STEP' };
    return event;
  },
  VerifyAuthChallengeResponse: (event) => {
    event.response = { answerCorrect: event.request.challengeAnswer === event.request.privateChallengeParameters.secret };
    return event;
  },
};

const users = Number(process.env.BENCH_USERS ?? 40);
if (!Number.isInteger(users) || users < 1) throw new Error(`BENCH_USERS must be a positive integer, not ${process.env.BENCH_USERS}`);

const dataDir = await mkdtemp(join(tmpdir(), 'cognito-bench-'));
const mailbox = createMailbox(() => undefined);
const clientId = 'benchclient';
const emulator = await startCognitoEmulator({
  host: '127.0.0.1',
  port: 0,
  dataDir,
  region: 'us-east-1',
  mailbox,
  adminCredentials: { accessKeyId: 'BENCH', secretAccessKey: 'bench' },
  // Only the custom-auth triggers are configured (no PreSignUp), so only they are called.
  triggers: async (trigger, event) => oneStepTriggers[trigger as AuthChallengeTrigger](event as ChallengeEvent),
  userPool: {
    id: 'us-east-1_Bench1',
    name: 'bench',
    clientId,
    clientName: 'bench',
    authSessionValiditySeconds: 180,
    accessTokenValiditySeconds: 3600,
    idTokenValiditySeconds: 3600,
    refreshTokenValiditySeconds: 86400,
    preventUserExistenceErrors: true,
    explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    allowedOrigins: [],
  },
});
const client = new CognitoIdentityProviderClient({
  endpoint: emulator.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'BENCH', secretAccessKey: 'bench' },
});

const timings: Record<string, number[]> = { SignUp: [], ConfirmSignUp: [], 'sign-in (2 calls)': [], REFRESH_TOKEN_AUTH: [], GetUser: [] };
async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  timings[name]!.push(performance.now() - started);
  return result;
}

try {
  for (let i = 0; i < users; i++) {
    const email = `bench-${i}@example.com`;
    await timed('SignUp', () => client.send(new SignUpCommand({ ClientId: clientId, Username: email, Password: `Aa1!${randomUUID()}` })));
    const code = mailbox.to(email).at(-1)!.code;
    await timed('ConfirmSignUp', () =>
      client.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: email, ConfirmationCode: code })),
    );
    const tokens = await timed('sign-in (2 calls)', async () => {
      const started = await client.send(
        new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'CUSTOM_AUTH', AuthParameters: { USERNAME: email } }),
      );
      const done = await client.send(
        new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: 'CUSTOM_CHALLENGE',
          Session: started.Session,
          ChallengeResponses: { USERNAME: email, ANSWER: started.ChallengeParameters!.secret! },
        }),
      );
      return done.AuthenticationResult!;
    });
    await timed('REFRESH_TOKEN_AUTH', () =>
      client.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! },
        }),
      ),
    );
    await timed('GetUser', () => client.send(new GetUserCommand({ AccessToken: tokens.AccessToken! })));
  }
  const quantile = (values: number[], q: number) =>
    [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  console.log(`Cognito emulator, ${users} users, milliseconds per operation through the SDK on loopback:`);
  for (const [name, values] of Object.entries(timings)) {
    console.log(
      `  ${name.padEnd(20)} median ${quantile(values, 0.5).toFixed(1).padStart(6)}   p95 ${quantile(values, 0.95).toFixed(1).padStart(6)}`,
    );
  }
} finally {
  client.destroy();
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
}

/**
 * The built app served against the local Cognito emulator, with stand-ins for the triggers: enough for the browser
 * tests that need no Rekognition, S3 or DynamoDB. The stand-ins keep the contract the functions keep
 * (docs/internals.md): PreSignUp confirms the user; the first step is EMAIL_CODE, mailed to the dev mailbox; three
 * wrong answers end the sign-in. After the right code comes `afterEmailCode`: ENROLL_ID_PHOTO (an upload URL that
 * goes nowhere) or the tokens, so a test can reach the signed-in screen without a face.
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMailbox, startCognitoEmulator, type CognitoEmulator, type Mailbox } from '../../local/cognito/index';
import { freePort } from '../../local/template/local-environment';
import { startAppServer, type AppServer } from '../../local/web/serve-app';
import type { AccountApiConfig, AppConfig } from '../../app/src/config';
import { DIST_DIR } from './app-server';

const REGION = 'us-east-1';
export const POOL_ID = 'us-east-1_AppTest1';
const CLIENT_ID = 'apptestclient';

export function appConfig(cognitoEndpoint: string, accountApi: AccountApiConfig = {}): AppConfig {
  return {
    region: REGION,
    userPoolId: POOL_ID,
    userPoolClientId: CLIENT_ID,
    userPoolEndpoint: cognitoEndpoint,
    mailboxUrl: `${cognitoEndpoint}/mailbox`,
    lockoutMinutes: 30,
    ...accountApi,
    liveness: { endpointOverride: 'wss://localhost:4581', faceModelUrl: '/models/blazeface/model.json', binaryPath: '/tfjs-wasm/' },
  };
}

interface TriggerEvent {
  request: {
    userAttributes: Record<string, string>;
    session?: Array<{ challengeResult: boolean; challengeMetadata?: string }>;
    challengeAnswer?: string;
    privateChallengeParameters?: Record<string, string>;
  };
}

export type AfterEmailCode = 'ENROLL_ID_PHOTO' | 'TOKENS';

function standInTriggers(mailbox: Mailbox, afterEmailCode: AfterEmailCode) {
  return async (trigger: string, event: object): Promise<object> => {
    const { request } = event as TriggerEvent;
    const session = request.session ?? [];
    const emailProven = session.some((step) => step.challengeMetadata === 'EMAIL_CODE' && step.challengeResult);
    switch (trigger) {
      case 'PreSignUp':
        return { ...event, response: { autoConfirmUser: true, autoVerifyEmail: false, autoVerifyPhone: false } };
      case 'DefineAuthChallenge': {
        if (emailProven && afterEmailCode === 'TOKENS') return { ...event, response: { issueTokens: true, failAuthentication: false } };
        const failAuthentication = session.filter((step) => !step.challengeResult).length >= 3;
        return { ...event, response: { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication } };
      }
      case 'CreateAuthChallenge': {
        if (emailProven) {
          const publicChallengeParameters = {
            step: 'ENROLL_ID_PHOTO',
            uploadUrl: 'http://127.0.0.1:9/bucket',
            uploadFields: '{"key":"enrollment/x/y.jpg"}',
            maxBytes: '5242880',
            contentTypes: 'image/jpeg',
          };
          return {
            ...event,
            response: { publicChallengeParameters, privateChallengeParameters: {}, challengeMetadata: 'ENROLL_ID_PHOTO' },
          };
        }
        const email = request.userAttributes.email!;
        const code = String(randomInt(1_000_000)).padStart(6, '0');
        mailbox.deliver({ to: email, subject: 'Your sign-in code', body: `Your sign-in code is ${code}`, code });
        const [name, domain] = email.split('@') as [string, string];
        const publicChallengeParameters = { step: 'EMAIL_CODE', destination: `${name[0]}***@${domain[0]}***.com`, codeLength: '6' };
        return { ...event, response: { publicChallengeParameters, privateChallengeParameters: { code }, challengeMetadata: 'EMAIL_CODE' } };
      }
      case 'VerifyAuthChallengeResponse':
        return { ...event, response: { answerCorrect: request.challengeAnswer === request.privateChallengeParameters?.code } };
      default:
        throw new Error(`${trigger} is not wired in this test`);
    }
  };
}

export interface StandInStack {
  app: AppServer;
  cognito: CognitoEmulator;
  /** A folder of its own, removed by close. */
  dataDir: string;
  close(): Promise<void>;
}

export async function startStandInStack(options: {
  afterEmailCode: AfterEmailCode;
  accountApi?: AccountApiConfig;
  /** Further origins the page may call, as startAppServer takes them. */
  connectSources?: string[];
}): Promise<StandInStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'app-test-'));
  // The app's origin must be known to Cognito's CORS, and Cognito's endpoint to the app's config.
  const [cognitoPort, appPort] = await Promise.all([freePort(), freePort()]);
  const cognitoEndpoint = `http://127.0.0.1:${cognitoPort}`;
  const app = await startAppServer({
    host: '127.0.0.1',
    port: appPort,
    distDir: DIST_DIR,
    config: appConfig(cognitoEndpoint, options.accountApi),
    connectSources: options.connectSources,
  });
  // Read over HTTP like a developer would; nothing printed.
  const mailbox = createMailbox(() => undefined);
  const cognito = await startCognitoEmulator({
    host: '127.0.0.1',
    port: cognitoPort,
    dataDir,
    region: REGION,
    userPool: {
      id: POOL_ID,
      name: 'app-test',
      clientId: CLIENT_ID,
      clientName: 'web',
      authSessionValiditySeconds: 180,
      accessTokenValiditySeconds: 3600,
      idTokenValiditySeconds: 3600,
      refreshTokenValiditySeconds: 86400,
      preventUserExistenceErrors: true,
      explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      allowedOrigins: [app.url],
    },
    triggers: standInTriggers(mailbox, options.afterEmailCode),
    configuredTriggers: ['PreSignUp', 'DefineAuthChallenge', 'CreateAuthChallenge', 'VerifyAuthChallengeResponse'],
    adminCredentials: { accessKeyId: 'LOCALDEVELOPMENT', secretAccessKey: 'local-development-not-a-secret' },
    mailbox,
  });
  return {
    app,
    cognito,
    dataDir,
    async close() {
      await app.close();
      await cognito.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

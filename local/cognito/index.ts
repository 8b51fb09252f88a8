/**
 * The local Cognito user pool emulator: the custom-auth subset of the Cognito user pools API, for the offline stack.
 *
 *   const cognito = await startCognitoEmulator({
 *     host: '127.0.0.1', port: 9229, dataDir: '.local-data', region: 'us-east-1',
 *     userPool: { id: 'us-east-1_LocalPool', name: 'face-login', clientId: 'localclient', clientName: 'web',
 *       authSessionValiditySeconds: 180, accessTokenValiditySeconds: 3600, idTokenValiditySeconds: 3600,
 *       refreshTokenValiditySeconds: 2592000, preventUserExistenceErrors: true,
 *       explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], allowedOrigins: ['http://localhost:3000'] },
 *     triggers: (trigger, event) => invokeLambda(logicalIdFor(trigger), event),  // returns the Lambda's result
 *     adminCredentials: { accessKeyId: 'local', secretAccessKey: 'local' },
 *   });
 *   // cognito.endpoint -> the SDK's `endpoint` / amplify's `userPoolEndpoint`; cognito.issuer, cognito.jwksUri
 *   await cognito.close();
 *
 * Served on `host:port`:
 * - `POST /` JSON 1.1 (`X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`): SignUp, ConfirmSignUp,
 *   ResendConfirmationCode, InitiateAuth (CUSTOM_AUTH, REFRESH_TOKEN_AUTH / REFRESH_TOKEN), RespondToAuthChallenge
 *   (CUSTOM_CHALLENGE), GetTokensFromRefreshToken (amplify v6 refreshes with it), GetUser, GlobalSignOut,
 *   RevokeToken; and, SigV4-signed with `adminCredentials`, AdminGetUser, AdminDeleteUser and ListUsers.
 * - `GET /<userPoolId>/.well-known/jwks.json` and `GET /.well-known/jwks.json`: the RS256 public key.
 *   Tokens carry `iss` = `http://<host>:<port>/<userPoolId>`.
 * - `GET /mailbox` and `GET /mailbox/<email>`: the dev mailbox as JSON. `host` must be a loopback address.
 *
 * Triggers (the custom-auth three, and PreSignUp when `configuredTriggers` names it) get Cognito's event shapes
 * (`version`, `region`, `userPoolId`, `userName` = the generated username, which equals `sub` in a pool with email
 * as username; `callerContext`, `triggerSource`, `request`, `response`) and `triggerTimeoutMs` (Cognito: 5 s) per
 * attempt; a trigger that does not answer in time is called again, 3 attempts in all, as Cognito does. Users, refresh
 * tokens, revocations and the signing key live under `<dataDir>/cognito/`; auth Sessions live in memory, as short-lived
 * as Cognito's.
 */
import type { Clock } from '../aws/clock';
import { startListener } from '../aws/listener';
import { createMailbox, type Mailbox } from '../mailbox/index';
import { createRequestListener, type AdminCredentials } from './server';
import { openStore } from './store';
import { TokenSigner } from './tokens';
import { TriggerRunner, type TriggerInvoker, type TriggerName } from './triggers';
import { userPoolOperations, type UserPoolSettings } from './user-pool';

export type { AuthChallengeTrigger, TriggerInvoker, TriggerName } from './triggers';
export type { UserPoolSettings } from './user-pool';
export type { AdminCredentials } from './server';
export { createMailbox, type Mailbox, type MailMessage } from '../mailbox/index';

export interface CognitoEmulatorOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  dataDir: string;
  region: string;
  userPool: UserPoolSettings;
  triggers: TriggerInvoker;
  /** The triggers the pool's LambdaConfig names; default the three custom-auth ones (no PreSignUp). */
  configuredTriggers?: readonly TriggerName[];
  /** The credentials admin operations must be signed with (the local stack's dummy AWS credentials). */
  adminCredentials: AdminCredentials;
  /** Where confirmation codes go; a console-printing mailbox by default. */
  mailbox?: Mailbox;
  /** Cognito gives each trigger attempt 5 s (and makes 3); tests inject a shorter limit. */
  triggerTimeoutMs?: number;
  maxBodyBytes?: number;
  /** Tests inject a clock to reach expiry without waiting. */
  clock?: Clock;
}

export interface CognitoEmulator {
  endpoint: string;
  issuer: string;
  jwksUri: string;
  mailbox: Mailbox;
  close(): Promise<void>;
}

const IMPLEMENTED_FLOWS = ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'];
const AUTH_TRIGGERS: TriggerName[] = ['DefineAuthChallenge', 'CreateAuthChallenge', 'VerifyAuthChallengeResponse'];

export async function startCognitoEmulator(options: CognitoEmulatorOptions): Promise<CognitoEmulator> {
  checkOptions(options);
  const { host, region, userPool: settings } = options;
  const now = options.clock ?? Date.now;
  const mailbox = options.mailbox ?? createMailbox();
  const store = await openStore(options.dataDir);

  // The issuer names the real port, known only once listening; requests wait for the pool meanwhile.
  let resolveSigner!: (signer: TokenSigner) => void;
  const signer = new Promise<TokenSigner>((resolve) => {
    resolveSigner = resolve;
  });
  const operations = signer.then((s) =>
    userPoolOperations({
      settings,
      region,
      store,
      signer: s,
      triggers: new TriggerRunner(options.triggers, options.triggerTimeoutMs ?? 5000, new Set(options.configuredTriggers ?? AUTH_TRIGGERS)),
      mailbox,
      now,
    }),
  );

  const listener = await startListener(
    createRequestListener(
      {
        userPoolId: settings.id,
        region,
        allowedOrigins: settings.allowedOrigins,
        adminCredentials: options.adminCredentials,
        maxBodyBytes: options.maxBodyBytes ?? 256 * 1024,
        now,
      },
      operations,
      signer,
      mailbox,
    ),
    { host, port: options.port },
  );
  const issuer = `${listener.endpoint}/${settings.id}`;
  try {
    resolveSigner(await TokenSigner.load(store.signingKey, issuer));
    await operations;
  } catch (error) {
    await listener.close();
    throw error;
  }
  return { endpoint: listener.endpoint, issuer, jwksUri: `${issuer}/.well-known/jwks.json`, mailbox, close: listener.close };
}

/** Refuses a configuration Cognito would refuse, or that this emulator does not implement, with the reason. */
function checkOptions({ userPool: p, host, region, port, triggerTimeoutMs }: CognitoEmulatorOptions): void {
  const fail = (message: string) => {
    throw new Error(`Cognito emulator: ${message}`);
  };
  // The mailbox serves sign-up codes and the issuer must name a reachable address: loopback only.
  if (host !== 'localhost' && host !== '::1' && !/^127(\.\d{1,3}){3}$/.test(host))
    fail(`host '${host}' must be a loopback address (127.x.x.x, ::1 or localhost)`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) fail(`region '${region}' is not an AWS region name`);
  if (!p.id.startsWith(`${region}_`) || !/^[\w-]+_[0-9a-zA-Z]+$/.test(p.id))
    fail(`user pool id '${p.id}' must look like '${region}_<letters and digits>'`);
  if (!/^[\w+]+$/.test(p.clientId)) fail(`client id '${p.clientId}' must be letters, digits, '_' or '+'`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`port ${port} is not a TCP port`);
  const ranges: Array<[keyof UserPoolSettings, number, number]> = [
    ['authSessionValiditySeconds', 180, 900],
    ['accessTokenValiditySeconds', 300, 86400],
    ['idTokenValiditySeconds', 300, 86400],
    ['refreshTokenValiditySeconds', 3600, 315360000],
  ];
  for (const [name, min, max] of ranges) {
    const value = p[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      fail(`${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
  const unsupported = p.explicitAuthFlows.filter((f) => !IMPLEMENTED_FLOWS.includes(f));
  if (unsupported.length > 0)
    fail(`explicitAuthFlows ${unsupported.join(', ')} are not implemented; use ${IMPLEMENTED_FLOWS.join(' and ')}`);
  if (!p.explicitAuthFlows.includes('ALLOW_REFRESH_TOKEN_AUTH'))
    fail('explicitAuthFlows must include ALLOW_REFRESH_TOKEN_AUTH, as Cognito requires');
  if (triggerTimeoutMs !== undefined && !(triggerTimeoutMs > 0)) fail(`triggerTimeoutMs must be positive, not ${triggerTimeoutMs}`);
}

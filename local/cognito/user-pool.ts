/**
 * The user pool and its one app client: the operations of the Cognito API subset, over the persistent store,
 * the token signer and the custom-auth triggers. Each operation takes the parsed JSON request and returns the
 * JSON response, or throws a CognitoError with Cognito's exception name and wording.
 */
import { randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Mailbox } from '../mailbox/index';
import { CodeThrottle } from './code-throttle';
import { CognitoError, invalidParameter, notAuthorized, validationError } from './errors';
import { checkPasswordPolicy, hashPassword } from './password';
import { ownValue, type CognitoStore, type StoredUser } from './store';
import { hashRefreshToken, newRefreshToken, type AuthenticationOrigin, type TokenSigner } from './tokens';
import type { ChallengeResult, CreatedChallenge, StringMap, TriggerContext, TriggerRunner, TriggerSubject } from './triggers';

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

const CODE_VALIDITY_MS = 24 * 60 * 60 * 1000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const AUTH_FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
];

interface AuthSession {
  clientId: string;
  subject: TriggerSubject;
  /** The email signed in with, which RespondToAuthChallenge may send as USERNAME instead of the generated username. */
  email: string;
  history: ChallengeResult[];
  challenge: CreatedChallenge;
  expiresAt: number;
  used: boolean;
}

export class UserPool {
  private readonly sessions = new Map<string, AuthSession>();
  private readonly codeThrottle: CodeThrottle;

  constructor(
    private readonly settings: UserPoolSettings,
    private readonly region: string,
    private readonly store: CognitoStore,
    private readonly signer: TokenSigner,
    private readonly triggers: TriggerRunner,
    private readonly mailbox: Mailbox,
    private readonly now: () => number,
  ) {
    this.codeThrottle = new CodeThrottle(now);
  }

  /** Operations that need a SigV4-signed request (IAM-authorised in Cognito). */
  static readonly adminOperations = new Set(['AdminGetUser', 'AdminDeleteUser']);

  readonly operations: Record<string, Operation> = {
    SignUp: (input, caller) => this.signUp(input, caller),
    ConfirmSignUp: (input) => this.confirmSignUp(input),
    ResendConfirmationCode: (input) => this.resendConfirmationCode(input),
    InitiateAuth: (input, caller) => this.initiateAuth(input, caller),
    RespondToAuthChallenge: (input, caller) => this.respondToAuthChallenge(input, caller),
    GetTokensFromRefreshToken: (input) => this.getTokensFromRefreshToken(input),
    GetUser: (input) => this.getUser(input),
    GlobalSignOut: (input) => this.globalSignOut(input),
    RevokeToken: (input) => this.revokeToken(input),
    AdminGetUser: (input) => this.adminGetUser(input),
    AdminDeleteUser: (input) => this.adminDeleteUser(input),
  };

  // --- sign-up and confirmation -------------------------------------------------------------------------------

  private async signUp(input: Record<string, unknown>, caller: CallerInfo) {
    this.checkClient(input);
    const username = requireString(input, 'Username');
    const password = requireString(input, 'Password');
    if (!EMAIL.test(username)) throw invalidParameter('Username should be an email.');
    const email = username.toLowerCase();
    for (const { Name, Value } of attributeList(input.UserAttributes)) {
      if (Name === 'email') {
        if (Value.toLowerCase() !== email)
          throw invalidParameter('The email attribute must equal the username in a pool that signs in with email.');
      } else if (Name === 'sub' || Name === 'email_verified') {
        throw notAuthorized('A client attempted to write unauthorized attribute');
      } else {
        throw invalidParameter(`Attributes did not conform to the schema: ${Name}: Attribute does not exist in the schema.`);
      }
    }
    if (this.findUser(email)) throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
    checkPasswordPolicy(password);
    const validationData = attributeList(input.ValidationData, 'ValidationData');
    const clientMetadata = optionalStringMap(input, 'ClientMetadata');

    const sub = randomUUID();
    // No user exists until PreSignUp has answered: a trigger that throws leaves nothing behind.
    const decision = await this.triggers.preSignUp(
      this.triggerContext(caller, clientMetadata),
      sub,
      { email },
      validationData.length > 0 ? Object.fromEntries(validationData.map(({ Name, Value }) => [Name, Value])) : undefined,
    );
    const now = this.now();
    const user: StoredUser = {
      username: sub,
      sub,
      email,
      emailVerified: decision.autoVerifyEmail,
      status: decision.autoConfirmUser ? 'CONFIRMED' : 'UNCONFIRMED',
      passwordHash: await hashPassword(password),
      createdAt: now,
      updatedAt: now,
    };
    // Re-check after the awaits: a concurrent SignUp for the same email may have won.
    if (this.findUser(email)) throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
    this.store.users.value[user.username] = user;
    // An auto-confirmed user gets no confirmation code.
    if (decision.autoConfirmUser) {
      await this.store.users.save();
      return { UserConfirmed: true, UserSub: sub };
    }
    const delivery = await this.sendConfirmationCode(user);
    return { UserConfirmed: false, UserSub: sub, CodeDeliveryDetails: delivery };
  }

  private async confirmSignUp(input: Record<string, unknown>) {
    this.checkClient(input);
    const username = requireString(input, 'Username');
    const code = requireString(input, 'ConfirmationCode');
    if (!/^\S{1,2048}$/.test(code)) throw validationError('ConfirmationCode', 'Member must satisfy regular expression pattern: [\\S]+');
    const user = this.findUser(username);
    const throttleKey = user?.sub ?? username;
    if (this.codeThrottle.locked(throttleKey)) throw attemptLimitExceeded();
    if (!user) {
      if (!this.settings.preventUserExistenceErrors)
        throw new CognitoError('UserNotFoundException', 'Username/client id combination not found.');
      // Counted like a real user's wrong code, so the lock cannot tell the two apart.
      if (this.codeThrottle.recordFailure(throttleKey)) throw attemptLimitExceeded();
      throw codeMismatch();
    }
    if (user.status === 'CONFIRMED') throw notAuthorized('User cannot be confirmed. Current status is CONFIRMED');
    const pending = user.confirmation;
    if (!pending || pending.expiresAt <= this.now()) {
      throw new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
    }
    if (!codesEqual(pending.code, code)) {
      if (this.codeThrottle.recordFailure(throttleKey)) {
        // The guessed-at code is void: after the lock a new one must be requested.
        delete user.confirmation;
        await this.store.users.save();
        throw attemptLimitExceeded();
      }
      throw codeMismatch();
    }
    delete user.confirmation;
    user.status = 'CONFIRMED';
    user.emailVerified = true;
    user.updatedAt = this.now();
    await this.store.users.save();
    return {};
  }

  private async resendConfirmationCode(input: Record<string, unknown>) {
    this.checkClient(input);
    const username = requireString(input, 'Username');
    const user = this.findUser(username);
    if (!user && !this.settings.preventUserExistenceErrors)
      throw new CognitoError('UserNotFoundException', 'Username/client id combination not found.');
    if (user?.status === 'CONFIRMED') throw invalidParameter('User is already confirmed.');
    if (!this.codeThrottle.allowResend(user?.sub ?? username)) throw attemptLimitExceeded();
    // Hidden existence: answer as if a code went to an address shaped like the one asked for.
    if (!user) return { CodeDeliveryDetails: deliveryDetails(EMAIL.test(username) ? username : `${username}@example.com`) };
    return { CodeDeliveryDetails: await this.sendConfirmationCode(user) };
  }

  private async sendConfirmationCode(user: StoredUser) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    user.confirmation = { code, expiresAt: this.now() + CODE_VALIDITY_MS };
    await this.store.users.save();
    this.mailbox.deliver({
      to: user.email,
      subject: 'Your verification code',
      body: `Your confirmation code is ${code}. It is valid for 24 hours.`,
      code,
    });
    return deliveryDetails(user.email);
  }

  // --- authentication -----------------------------------------------------------------------------------------

  private async initiateAuth(input: Record<string, unknown>, caller: CallerInfo) {
    this.checkClient(input);
    const flow = requireString(input, 'AuthFlow');
    if (!AUTH_FLOWS.includes(flow)) {
      throw validationError('AuthFlow', `Member must satisfy enum value set: [${AUTH_FLOWS.join(', ')}]`, flow);
    }
    const parameters = optionalStringMap(input, 'AuthParameters') ?? {};
    switch (flow) {
      case 'CUSTOM_AUTH':
        this.requireFlow('ALLOW_CUSTOM_AUTH', 'CUSTOM_AUTH');
        // SRP_A asks Cognito to run SRP before the custom challenges, which this client does not allow.
        if (parameters.SRP_A !== undefined) throw invalidParameter('USER_SRP_AUTH is not enabled for the client.');
        return this.startCustomAuth(requireParameter(parameters, 'USERNAME'), caller);
      case 'REFRESH_TOKEN_AUTH':
      case 'REFRESH_TOKEN':
        this.requireFlow('ALLOW_REFRESH_TOKEN_AUTH', flow);
        return { ChallengeParameters: {}, AuthenticationResult: await this.refresh(requireParameter(parameters, 'REFRESH_TOKEN')) };
      case 'USER_SRP_AUTH':
        throw invalidParameter('USER_SRP_AUTH is not enabled for the client.');
      case 'USER_PASSWORD_AUTH':
        throw invalidParameter('USER_PASSWORD_AUTH flow not enabled for this client');
      case 'USER_AUTH':
        throw invalidParameter('USER_AUTH is not enabled for the client.');
      default:
        throw invalidParameter('Initiate Auth method not supported.');
    }
  }

  private async startCustomAuth(username: string, caller: CallerInfo) {
    const user = this.findUser(username);
    let subject: TriggerSubject;
    if (user) {
      if (user.status !== 'CONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
      subject = subjectOf(user);
    } else {
      if (!this.settings.preventUserExistenceErrors) throw new CognitoError('UserNotFoundException', 'User does not exist.');
      subject = { userName: this.signer.stableUuid(username.toLowerCase()), userAttributes: {}, userNotFound: true };
    }
    // Cognito does not pass InitiateAuth's ClientMetadata to the auth challenge triggers.
    return this.nextStep(this.triggerContext(caller, undefined), subject, user?.email ?? username.toLowerCase(), []);
  }

  private async respondToAuthChallenge(input: Record<string, unknown>, caller: CallerInfo) {
    const clientId = this.checkClient(input);
    const challengeName = requireString(input, 'ChallengeName');
    if (challengeName !== 'CUSTOM_CHALLENGE') {
      throw invalidParameter(`${challengeName} is not a challenge this client can answer: it allows only CUSTOM_CHALLENGE.`);
    }
    const token = requireString(input, 'Session');
    const responses = optionalStringMap(input, 'ChallengeResponses') ?? {};
    const username = requireParameter(responses, 'USERNAME');
    const answer = requireParameter(responses, 'ANSWER');
    const clientMetadata = optionalStringMap(input, 'ClientMetadata');

    const session = this.sessions.get(token);
    if (!session || session.used) throw notAuthorized('Invalid session for the user.');
    // A Session is single use: spent even if what follows fails.
    session.used = true;
    if (session.expiresAt <= this.now()) throw notAuthorized('Invalid session for the user, session is expired.');
    const sameUser = username === session.subject.userName || username.toLowerCase() === session.email;
    if (session.clientId !== clientId || !sameUser) throw notAuthorized('Invalid session for the user.');

    const ctx = this.triggerContext(caller, clientMetadata);
    const correct = await this.triggers.verify(ctx, session.subject, session.challenge.privateChallengeParameters, answer);
    const history: ChallengeResult[] = [
      ...session.history,
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: correct, challengeMetadata: session.challenge.challengeMetadata },
    ];
    return this.nextStep(ctx, session.subject, session.email, history);
  }

  /** Define decides; then tokens, a refusal, or Create's next challenge under a fresh Session. */
  private async nextStep(ctx: TriggerContext, subject: TriggerSubject, email: string, history: ChallengeResult[]) {
    const decision = await this.triggers.define(ctx, subject, history);
    if (decision.failAuthentication) throw notAuthorized('Incorrect username or password.');
    if (decision.issueTokens) {
      // A name that matched nobody never gets tokens, whatever the trigger says; nor a user deleted meanwhile.
      const user = subject.userNotFound ? undefined : ownValue(this.store.users.value, subject.userName);
      if (!user) throw notAuthorized('Incorrect username or password.');
      return { ChallengeParameters: {}, AuthenticationResult: await this.signIn(user) };
    }
    const challenge = await this.triggers.create(ctx, subject, history);
    const token = randomBytes(96).toString('base64url');
    this.forgetOldSessions();
    this.sessions.set(token, {
      clientId: ctx.clientId,
      subject,
      email,
      history,
      challenge,
      expiresAt: this.now() + this.settings.authSessionValiditySeconds * 1000,
      used: false,
    });
    return {
      ChallengeName: 'CUSTOM_CHALLENGE',
      Session: token,
      ChallengeParameters: { ...challenge.publicChallengeParameters, USERNAME: subject.userName },
    };
  }

  private async signIn(user: StoredUser) {
    const now = this.now();
    const origin: AuthenticationOrigin = { originJti: randomUUID(), eventId: randomUUID(), authTime: Math.floor(now / 1000) };
    const tokens = await this.signer.issue(user, this.settings.clientId, origin, this.settings, now);
    const refresh = newRefreshToken();
    this.store.refreshTokens.value[refresh.tokenHash] = {
      tokenHash: refresh.tokenHash,
      username: user.username,
      clientId: this.settings.clientId,
      ...origin,
      expiresAt: now + this.settings.refreshTokenValiditySeconds * 1000,
      revoked: false,
    };
    await this.store.refreshTokens.save();
    return {
      AccessToken: tokens.accessToken,
      ExpiresIn: tokens.expiresIn,
      TokenType: 'Bearer',
      RefreshToken: refresh.token,
      IdToken: tokens.idToken,
    };
  }

  private async getTokensFromRefreshToken(input: Record<string, unknown>) {
    this.checkClient(input);
    this.requireFlow('ALLOW_REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH');
    return { AuthenticationResult: await this.refresh(requireString(input, 'RefreshToken')) };
  }

  /** New id and access tokens from the same authentication; the refresh token is not rotated. */
  private async refresh(refreshToken: string) {
    const record = ownValue(this.store.refreshTokens.value, hashRefreshToken(refreshToken));
    if (!record || record.clientId !== this.settings.clientId) throw notAuthorized('Invalid Refresh Token');
    if (record.revoked) throw notAuthorized('Refresh Token has been revoked');
    const now = this.now();
    if (record.expiresAt <= now) throw notAuthorized('Refresh Token has expired');
    const user = ownValue(this.store.users.value, record.username);
    if (!user) throw notAuthorized('User does not exist.');
    const tokens = await this.signer.issue(user, record.clientId, record, this.settings, now);
    return { AccessToken: tokens.accessToken, ExpiresIn: tokens.expiresIn, TokenType: 'Bearer', IdToken: tokens.idToken };
  }

  // --- signed-in user -----------------------------------------------------------------------------------------

  private async getUser(input: Record<string, unknown>) {
    const { user } = await this.authorize(requireString(input, 'AccessToken'));
    return { Username: user.username, UserAttributes: attributesOf(user) };
  }

  private async globalSignOut(input: Record<string, unknown>) {
    const { user, originJti } = await this.authorize(requireString(input, 'AccessToken'));
    this.revokeOrigin(originJti);
    for (const record of Object.values(this.store.refreshTokens.value)) {
      if (record.username === user.username && !record.revoked) {
        record.revoked = true;
        this.revokeOrigin(record.originJti);
      }
    }
    await this.saveRevocations();
    return {};
  }

  private async revokeToken(input: Record<string, unknown>) {
    this.checkClient(input);
    const token = requireString(input, 'Token');
    const record = ownValue(this.store.refreshTokens.value, hashRefreshToken(token));
    if (!record) {
      if (token.split('.').length === 3) throw new CognitoError('UnsupportedTokenTypeException', 'Unsupported token type');
      throw notAuthorized('Invalid Refresh Token');
    }
    if (!record.revoked) {
      record.revoked = true;
      this.revokeOrigin(record.originJti);
      await this.saveRevocations();
    }
    return {};
  }

  /** The user behind a valid, unrevoked access token of this client. */
  private async authorize(accessToken: string) {
    const claims = await this.signer.verifyAccessToken(accessToken, this.now());
    if (claims === 'expired') throw notAuthorized('Access Token has expired');
    if (claims === 'invalid' || claims.clientId !== this.settings.clientId) throw notAuthorized('Invalid Access Token');
    if (ownValue(this.store.revokedOrigins.value, claims.originJti)) throw notAuthorized('Access Token has been revoked');
    const user = ownValue(this.store.users.value, claims.username);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return { user, originJti: claims.originJti };
  }

  private revokeOrigin(originJti: string) {
    const longestToken = Math.max(this.settings.accessTokenValiditySeconds, this.settings.idTokenValiditySeconds) * 1000;
    this.store.revokedOrigins.value[originJti] = { originJti, forgetAt: this.now() + longestToken };
  }

  private async saveRevocations() {
    const now = this.now();
    const origins = this.store.revokedOrigins.value;
    for (const [id, entry] of Object.entries(origins)) if (entry.forgetAt <= now) delete origins[id];
    const tokens = this.store.refreshTokens.value;
    for (const [hash, record] of Object.entries(tokens)) if (record.expiresAt <= now) delete tokens[hash];
    await Promise.all([this.store.revokedOrigins.save(), this.store.refreshTokens.save()]);
  }

  // --- admin --------------------------------------------------------------------------------------------------

  private async adminGetUser(input: Record<string, unknown>) {
    const user = this.adminFindUser(input);
    return {
      Username: user.username,
      UserAttributes: attributesOf(user),
      UserCreateDate: user.createdAt / 1000,
      UserLastModifiedDate: user.updatedAt / 1000,
      Enabled: true,
      UserStatus: user.status,
    };
  }

  private async adminDeleteUser(input: Record<string, unknown>) {
    const user = this.adminFindUser(input);
    delete this.store.users.value[user.username];
    for (const record of Object.values(this.store.refreshTokens.value)) {
      if (record.username === user.username && !record.revoked) {
        record.revoked = true;
        this.revokeOrigin(record.originJti);
      }
    }
    await Promise.all([this.store.users.save(), this.saveRevocations()]);
    return {};
  }

  private adminFindUser(input: Record<string, unknown>): StoredUser {
    const poolId = requireString(input, 'UserPoolId');
    if (poolId !== this.settings.id) throw new CognitoError('ResourceNotFoundException', `User pool ${poolId} does not exist.`);
    const user = this.findUser(requireString(input, 'Username'));
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  // --- helpers ------------------------------------------------------------------------------------------------

  private checkClient(input: Record<string, unknown>): string {
    const clientId = requireString(input, 'ClientId');
    if (clientId !== this.settings.clientId)
      throw new CognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
    return clientId;
  }

  private requireFlow(allowed: string, flow: string) {
    if (!this.settings.explicitAuthFlows.includes(allowed)) throw invalidParameter(`${flow} is not enabled for the client.`);
  }

  /** By generated username (= sub) or by email, case-insensitively as the pool's usernames are. */
  private findUser(name: string): StoredUser | undefined {
    const users = this.store.users.value;
    const key = name.toLowerCase();
    return ownValue(users, key) ?? Object.values(users).find((u) => u.email === key);
  }

  private triggerContext(caller: CallerInfo, clientMetadata: StringMap | undefined): TriggerContext {
    return {
      region: this.region,
      userPoolId: this.settings.id,
      clientId: this.settings.clientId,
      awsSdkVersion: caller.awsSdkVersion,
      clientMetadata,
      reportUserNotFound: this.settings.preventUserExistenceErrors,
    };
  }

  /** Drops Sessions an hour past expiry; until then a late answer still hears "session is expired". */
  private forgetOldSessions() {
    const horizon = this.now() - 60 * 60 * 1000;
    for (const [token, session] of this.sessions) if (session.expiresAt <= horizon) this.sessions.delete(token);
  }
}

const codeMismatch = () => new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
const attemptLimitExceeded = () => new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');

/** Constant time: how much of a code matched must not show in the answer's timing. */
function codesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function subjectOf(user: StoredUser): TriggerSubject {
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

function attributesOf(user: StoredUser) {
  return [
    { Name: 'sub', Value: user.sub },
    { Name: 'email_verified', Value: String(user.emailVerified) },
    { Name: 'email', Value: user.email },
  ];
}

/** Cognito masks the address it sent a code to: `a***@e***.com`. */
function deliveryDetails(email: string) {
  const [local = '', domain = ''] = email.split('@');
  const dot = domain.indexOf('.');
  const masked = `${local.charAt(0)}***@${domain.charAt(0)}***${dot >= 0 ? domain.slice(dot) : ''}`;
  return { Destination: masked, DeliveryMedium: 'EMAIL', AttributeName: 'email' };
}

function requireString(input: Record<string, unknown>, member: string): string {
  const value = input[member];
  if (value === undefined || value === null) throw validationError(member, 'Member must not be null');
  if (typeof value !== 'string' || value.length === 0) throw validationError(member, 'Member must be a non-empty string');
  return value;
}

function requireParameter(parameters: StringMap, name: string): string {
  const value = parameters[name];
  if (!value) throw invalidParameter(`Missing required parameter ${name}`);
  return value;
}

function optionalStringMap(input: Record<string, unknown>, member: string): StringMap | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw validationError(member, 'Member must be a map of strings to strings');
  }
  return value as StringMap;
}

function attributeList(value: unknown, member = 'UserAttributes'): Array<{ Name: string; Value: string }> {
  if (value === undefined || value === null) return [];
  const ok =
    Array.isArray(value) &&
    value.every(
      (a) =>
        typeof a === 'object' &&
        a !== null &&
        typeof (a as { Name?: unknown }).Name === 'string' &&
        typeof (a as { Value?: unknown }).Value === 'string',
    );
  if (!ok) throw validationError(member, 'Member must be a list of { Name, Value } string pairs');
  return value as Array<{ Name: string; Value: string }>;
}

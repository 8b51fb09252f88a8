/**
 * InitiateAuth and RespondToAuthChallenge: the custom-auth flow driven by the Define, Create and Verify triggers,
 * each step under a single-use Session token, and the refresh-token flow. A name that matches nobody runs the flow
 * as a pretend user (PreventUserExistenceErrors) and never gets tokens.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../aws/errors';
import { invalidParameter, notAuthorized, userNotFound } from './errors';
import {
  checkClient,
  findUser,
  readRequest,
  requireFlow,
  requireParameter,
  requiredString,
  subjectOf,
  triggerContext,
  type CallerInfo,
  type Operation,
  type PoolContext,
} from './pool-context';
import { ownValue } from './store';
import type { TokenGrants } from './token-grants';
import type { ChallengeResult, CreatedChallenge, TriggerContext, TriggerSubject } from './triggers';

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

/** One step of a flow, answered with its Session token. */
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

export class AuthFlow {
  /** In memory, as short-lived as Cognito's. */
  private readonly sessions = new Map<string, AuthSession>();

  constructor(
    private readonly context: PoolContext,
    private readonly grants: TokenGrants,
  ) {}

  readonly operations: Record<string, Operation> = {
    InitiateAuth: (input, caller) => this.initiateAuth(input, caller),
    RespondToAuthChallenge: (input, caller) => this.respondToAuthChallenge(input, caller),
  };

  private async initiateAuth(input: Record<string, unknown>, caller: CallerInfo) {
    const reader = readRequest(input);
    const clientId = requiredString(reader, 'ClientId');
    const flow = reader.enumeration('AuthFlow', AUTH_FLOWS, true) ?? '';
    const parameters = reader.stringMap('AuthParameters') ?? {};
    reader.finish();
    checkClient(this.context, clientId);
    switch (flow) {
      case 'CUSTOM_AUTH':
        requireFlow(this.context, 'ALLOW_CUSTOM_AUTH', 'CUSTOM_AUTH');
        // SRP_A asks Cognito to run SRP before the custom challenges, which this client does not allow.
        if (parameters.SRP_A !== undefined) throw invalidParameter('USER_SRP_AUTH is not enabled for the client.');
        return this.startCustomAuth(requireParameter(parameters, 'USERNAME'), caller);
      case 'REFRESH_TOKEN_AUTH':
      case 'REFRESH_TOKEN':
        requireFlow(this.context, 'ALLOW_REFRESH_TOKEN_AUTH', flow);
        return { ChallengeParameters: {}, AuthenticationResult: await this.grants.refresh(requireParameter(parameters, 'REFRESH_TOKEN')) };
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
    const user = findUser(this.context, username);
    let subject: TriggerSubject;
    if (user) {
      if (user.status !== 'CONFIRMED') throw new AwsError('UserNotConfirmedException', 'User is not confirmed.');
      subject = subjectOf(user);
    } else {
      if (!this.context.settings.preventUserExistenceErrors) throw userNotFound();
      subject = { userName: this.context.signer.stableUuid(username.toLowerCase()), userAttributes: {}, userNotFound: true };
    }
    // Cognito does not pass InitiateAuth's ClientMetadata to the auth challenge triggers.
    return this.nextStep(triggerContext(this.context, caller, undefined), subject, user?.email ?? username.toLowerCase(), []);
  }

  private async respondToAuthChallenge(input: Record<string, unknown>, caller: CallerInfo) {
    const reader = readRequest(input);
    const clientId = requiredString(reader, 'ClientId');
    const challengeName = requiredString(reader, 'ChallengeName');
    const token = requiredString(reader, 'Session');
    const responses = reader.stringMap('ChallengeResponses') ?? {};
    const clientMetadata = reader.stringMap('ClientMetadata');
    reader.finish();
    checkClient(this.context, clientId);
    if (challengeName !== 'CUSTOM_CHALLENGE') {
      throw invalidParameter(`${challengeName} is not a challenge this client can answer: it allows only CUSTOM_CHALLENGE.`);
    }
    const username = requireParameter(responses, 'USERNAME');
    const answer = requireParameter(responses, 'ANSWER');

    const session = this.sessions.get(token);
    if (!session || session.used) throw notAuthorized('Invalid session for the user.');
    // A Session is single use: spent even if what follows fails.
    session.used = true;
    if (session.expiresAt <= this.context.now()) throw notAuthorized('Invalid session for the user, session is expired.');
    const sameUser = username === session.subject.userName || username.toLowerCase() === session.email;
    if (session.clientId !== clientId || !sameUser) throw notAuthorized('Invalid session for the user.');

    const ctx = triggerContext(this.context, caller, clientMetadata);
    const correct = await this.context.triggers.verify(ctx, session.subject, session.challenge.privateChallengeParameters, answer);
    const history: ChallengeResult[] = [
      ...session.history,
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: correct, challengeMetadata: session.challenge.challengeMetadata },
    ];
    return this.nextStep(ctx, session.subject, session.email, history);
  }

  /** Define decides; then tokens, a refusal, or Create's next challenge under a fresh Session. */
  private async nextStep(ctx: TriggerContext, subject: TriggerSubject, email: string, history: ChallengeResult[]) {
    const decision = await this.context.triggers.define(ctx, subject, history);
    if (decision.failAuthentication) throw notAuthorized('Incorrect username or password.');
    if (decision.issueTokens) {
      // A name that matched nobody never gets tokens, whatever the trigger says; nor a user deleted meanwhile.
      const user = subject.userNotFound ? undefined : ownValue(this.context.store.users.value, subject.userName);
      if (!user) throw notAuthorized('Incorrect username or password.');
      return { ChallengeParameters: {}, AuthenticationResult: await this.grants.signIn(user) };
    }
    const challenge = await this.context.triggers.create(ctx, subject, history);
    const token = randomBytes(96).toString('base64url');
    this.forgetOldSessions();
    this.sessions.set(token, {
      clientId: ctx.clientId,
      subject,
      email,
      history,
      challenge,
      expiresAt: this.context.now() + this.context.settings.authSessionValiditySeconds * 1000,
      used: false,
    });
    return {
      ChallengeName: 'CUSTOM_CHALLENGE',
      Session: token,
      ChallengeParameters: { ...challenge.publicChallengeParameters, USERNAME: subject.userName },
    };
  }

  /** Drops Sessions an hour past expiry; until then a late answer still hears "session is expired". */
  private forgetOldSessions() {
    const horizon = this.context.now() - 60 * 60 * 1000;
    for (const [token, session] of this.sessions) if (session.expiresAt <= horizon) this.sessions.delete(token);
  }
}

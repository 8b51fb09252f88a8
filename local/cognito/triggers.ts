/**
 * Calling the triggers as Cognito does: the event shapes, the time limit with Cognito's retries, and the checks on
 * what the function returns. The stack passes a TriggerInvoker that runs the real Lambda; the returned value is the
 * event with `response` filled in, as a Lambda trigger returns it.
 */
import { AwsError } from '../aws/errors';
import { invalidParameter } from './errors';

export type TriggerName = 'PreSignUp' | 'DefineAuthChallenge' | 'CreateAuthChallenge' | 'VerifyAuthChallengeResponse';
export type AuthChallengeTrigger = Exclude<TriggerName, 'PreSignUp'>;
export type TriggerInvoker = (trigger: TriggerName, event: object) => Promise<object>;

export type StringMap = Record<string, string>;

export interface ChallengeResult {
  challengeName: 'CUSTOM_CHALLENGE';
  challengeResult: boolean;
  challengeMetadata: string | null;
}

/** Who the flow is about: a real user, or (PreventUserExistenceErrors) a name that matched nobody. */
export interface TriggerSubject {
  userName: string;
  userAttributes: StringMap;
  userNotFound: boolean;
}

export interface TriggerContext {
  region: string;
  userPoolId: string;
  clientId: string;
  awsSdkVersion: string;
  /** Present only where Cognito passes it: RespondToAuthChallenge's ClientMetadata, never InitiateAuth's. */
  clientMetadata: StringMap | undefined;
  /** Cognito sends `userNotFound` only when the client has PreventUserExistenceErrors enabled. */
  reportUserNotFound: boolean;
}

export interface DefineDecision {
  issueTokens: boolean;
  failAuthentication: boolean;
}

export interface CreatedChallenge {
  publicChallengeParameters: StringMap;
  privateChallengeParameters: StringMap;
  challengeMetadata: string | null;
}

export interface SignUpDecision {
  autoConfirmUser: boolean;
  autoVerifyEmail: boolean;
}

/** Cognito calls a trigger that has not answered within its time limit again: 3 attempts in all. */
const ATTEMPTS = 3;

export class TriggerRunner {
  constructor(
    private readonly invoke: TriggerInvoker,
    private readonly timeoutMs: number,
    /** The pool's LambdaConfig: a trigger not in it is not called (PreSignUp is optional). */
    private readonly configured: ReadonlySet<TriggerName>,
  ) {}

  /** PreSignUp_SignUp; without a PreSignUp trigger the user is neither confirmed nor verified. */
  async preSignUp(
    ctx: TriggerContext,
    userName: string,
    userAttributes: StringMap,
    validationData: StringMap | undefined,
  ): Promise<SignUpDecision> {
    if (!this.configured.has('PreSignUp')) return { autoConfirmUser: false, autoVerifyEmail: false };
    const event = {
      ...this.commonFields(ctx, userName),
      triggerSource: 'PreSignUp_SignUp',
      request: {
        userAttributes,
        validationData: validationData ?? null,
        ...(ctx.clientMetadata ? { clientMetadata: ctx.clientMetadata } : {}),
      },
      response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
    };
    const response = responseOf(await this.invokeWithin('PreSignUp', event));
    const autoConfirmUser = optionalBoolean(response.autoConfirmUser);
    const autoVerifyEmail = optionalBoolean(response.autoVerifyEmail);
    if (autoConfirmUser === undefined || autoVerifyEmail === undefined || optionalBoolean(response.autoVerifyPhone) === undefined)
      throw unrecognizable();
    return { autoConfirmUser, autoVerifyEmail };
  }

  async define(ctx: TriggerContext, subject: TriggerSubject, session: ChallengeResult[]): Promise<DefineDecision> {
    const response = await this.run(
      'DefineAuthChallenge',
      ctx,
      subject,
      { session },
      { challengeName: null, issueTokens: null, failAuthentication: null },
    );
    const issueTokens = optionalBoolean(response.issueTokens);
    const failAuthentication = optionalBoolean(response.failAuthentication);
    if (issueTokens === undefined || failAuthentication === undefined) throw unrecognizable();
    if (!issueTokens && !failAuthentication && response.challengeName !== 'CUSTOM_CHALLENGE') {
      // The client allows custom auth only, so the only challenge Define may ask for is CUSTOM_CHALLENGE.
      throw unrecognizable();
    }
    return { issueTokens, failAuthentication };
  }

  async create(ctx: TriggerContext, subject: TriggerSubject, session: ChallengeResult[]): Promise<CreatedChallenge> {
    const response = await this.run(
      'CreateAuthChallenge',
      ctx,
      subject,
      { challengeName: 'CUSTOM_CHALLENGE', session },
      { publicChallengeParameters: null, privateChallengeParameters: null, challengeMetadata: null },
    );
    const publicChallengeParameters = optionalStringMap(response.publicChallengeParameters);
    const privateChallengeParameters = optionalStringMap(response.privateChallengeParameters);
    const metadata = response.challengeMetadata;
    if (
      !publicChallengeParameters ||
      !privateChallengeParameters ||
      (metadata !== undefined && metadata !== null && typeof metadata !== 'string')
    ) {
      throw unrecognizable();
    }
    return { publicChallengeParameters, privateChallengeParameters, challengeMetadata: metadata ?? null };
  }

  async verify(
    ctx: TriggerContext,
    subject: TriggerSubject,
    privateChallengeParameters: StringMap,
    challengeAnswer: string,
  ): Promise<boolean> {
    const response = await this.run(
      'VerifyAuthChallengeResponse',
      ctx,
      subject,
      { privateChallengeParameters, challengeAnswer },
      { answerCorrect: null },
    );
    if (typeof response.answerCorrect !== 'boolean') throw unrecognizable();
    return response.answerCorrect;
  }

  private async run(
    trigger: AuthChallengeTrigger,
    ctx: TriggerContext,
    subject: TriggerSubject,
    request: Record<string, unknown>,
    emptyResponse: Record<string, null>,
  ): Promise<Record<string, unknown>> {
    const event = {
      ...this.commonFields(ctx, subject.userName),
      triggerSource: `${trigger}_Authentication`,
      request: {
        userAttributes: subject.userAttributes,
        ...request,
        ...(ctx.clientMetadata ? { clientMetadata: ctx.clientMetadata } : {}),
        ...(ctx.reportUserNotFound ? { userNotFound: subject.userNotFound } : {}),
      },
      response: emptyResponse,
    };
    return responseOf(await this.invokeWithin(trigger, event));
  }

  private commonFields(ctx: TriggerContext, userName: string) {
    return {
      version: '1',
      region: ctx.region,
      userPoolId: ctx.userPoolId,
      userName,
      callerContext: { awsSdkVersion: ctx.awsSdkVersion, clientId: ctx.clientId },
    };
  }

  /** Calls the trigger; one that does not answer in time is called again, one that throws is not. */
  private async invokeWithin(trigger: TriggerName, event: object): Promise<unknown> {
    if (!this.configured.has(trigger)) throw invalidParameter('Custom auth lambda trigger is not configured for the user pool.');
    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      const TIMED_OUT = Symbol('timed out');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), this.timeoutMs);
      });
      try {
        // A deep copy, so a trigger that keeps and mutates its event cannot reach into the emulator's state.
        const result = await Promise.race([this.invoke(trigger, structuredClone(event)), timeout]);
        if (result !== TIMED_OUT) return result;
      } catch (error) {
        throw new AwsError(
          'UserLambdaValidationException',
          `${trigger} failed with error ${error instanceof Error ? error.message : String(error)}.`,
        );
      } finally {
        clearTimeout(timer);
      }
    }
    throw new AwsError(
      'UnexpectedLambdaException',
      `${trigger} invocation failed due to error Socket timeout while invoking Lambda function.`,
    );
  }
}

function responseOf(result: unknown): Record<string, unknown> {
  const response = isRecord(result) ? result.response : undefined;
  if (!isRecord(response)) throw unrecognizable();
  return response;
}

const unrecognizable = () => new AwsError('InvalidLambdaResponseException', 'Unrecognizable lambda output');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Cognito reads an absent or null flag as false. */
function optionalBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return false;
  return typeof value === 'boolean' ? value : undefined;
}

/** An absent or null map is empty; any non-string value makes the output unrecognizable. */
function optionalStringMap(value: unknown): StringMap | undefined {
  if (value === undefined || value === null) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) return undefined;
  return value as StringMap;
}

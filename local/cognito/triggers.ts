/**
 * Calling the custom-auth triggers as Cognito does: the event shape, the time limit, and the checks on what the
 * function returns. The stack passes a TriggerInvoker that runs the real Lambda; the returned value is the
 * event with `response` filled in, as a Lambda trigger returns it.
 */
import { CognitoError } from './errors';

export type TriggerName = 'DefineAuthChallenge' | 'CreateAuthChallenge' | 'VerifyAuthChallengeResponse';
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

export class TriggerRunner {
  constructor(
    private readonly invoke: TriggerInvoker,
    private readonly timeoutMs: number,
  ) {}

  async define(ctx: TriggerContext, subject: TriggerSubject, session: ChallengeResult[]): Promise<DefineDecision> {
    const response = await this.run('DefineAuthChallenge', ctx, subject, { session },
      { challengeName: null, issueTokens: null, failAuthentication: null });
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
    const response = await this.run('CreateAuthChallenge', ctx, subject,
      { challengeName: 'CUSTOM_CHALLENGE', session },
      { publicChallengeParameters: null, privateChallengeParameters: null, challengeMetadata: null });
    const publicChallengeParameters = optionalStringMap(response.publicChallengeParameters);
    const privateChallengeParameters = optionalStringMap(response.privateChallengeParameters);
    const metadata = response.challengeMetadata;
    if (!publicChallengeParameters || !privateChallengeParameters ||
        (metadata !== undefined && metadata !== null && typeof metadata !== 'string')) {
      throw unrecognizable();
    }
    return { publicChallengeParameters, privateChallengeParameters, challengeMetadata: metadata ?? null };
  }

  async verify(ctx: TriggerContext, subject: TriggerSubject, privateChallengeParameters: StringMap, challengeAnswer: string): Promise<boolean> {
    const response = await this.run('VerifyAuthChallengeResponse', ctx, subject,
      { privateChallengeParameters, challengeAnswer }, { answerCorrect: null });
    if (typeof response.answerCorrect !== 'boolean') throw unrecognizable();
    return response.answerCorrect;
  }

  private async run(trigger: TriggerName, ctx: TriggerContext, subject: TriggerSubject,
    request: Record<string, unknown>, emptyResponse: Record<string, null>): Promise<Record<string, unknown>> {
    const event = {
      version: '1',
      region: ctx.region,
      userPoolId: ctx.userPoolId,
      userName: subject.userName,
      callerContext: { awsSdkVersion: ctx.awsSdkVersion, clientId: ctx.clientId },
      triggerSource: `${trigger}_Authentication`,
      request: {
        userAttributes: subject.userAttributes,
        ...request,
        ...(ctx.clientMetadata ? { clientMetadata: ctx.clientMetadata } : {}),
        ...(ctx.reportUserNotFound ? { userNotFound: subject.userNotFound } : {}),
      },
      response: emptyResponse,
    };
    const result = await this.invokeWithin(trigger, event);
    const response = isRecord(result) ? result.response : undefined;
    if (!isRecord(response)) throw unrecognizable();
    return response;
  }

  private async invokeWithin(trigger: TriggerName, event: object): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CognitoError('UnexpectedLambdaException',
        `${trigger} invocation failed due to error Socket timeout while invoking Lambda function.`)), this.timeoutMs);
    });
    try {
      // A deep copy, so a trigger that keeps and mutates its event cannot reach into the emulator's state.
      return await Promise.race([this.invoke(trigger, structuredClone(event)), timeout]);
    } catch (error) {
      if (error instanceof CognitoError) throw error;
      throw new CognitoError('UserLambdaValidationException',
        `${trigger} failed with error ${error instanceof Error ? error.message : String(error)}.`);
    } finally {
      clearTimeout(timer);
    }
  }
}

const unrecognizable = () => new CognitoError('InvalidLambdaResponseException', 'Unrecognizable lambda output');

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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

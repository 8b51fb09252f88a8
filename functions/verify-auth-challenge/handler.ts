/**
 * Verify auth challenge: answerCorrect starts false and becomes true only at the end of a fully passed check.
 * Client metadata is never read. Each challenge gets one verdict (a retried invocation gets it again); only
 * wrong email codes and failed face checks that reached Rekognition count toward lockout, and a locked user's
 * answers are refused without any write. An unknown username is checked under its pseudo-identity, and fails.
 * A right email code marks the user's email verified in the pool.
 */
import type { VerifyAuthChallengeResponseTriggerEvent } from 'aws-lambda';
import { EMAIL_CODE, ENROLL_ID_PHOTO, FACE_LIVENESS } from '../lib/challenge-flow';
import { addressHash, checkEmailCode, markEmailVerified } from '../lib/email-code';
import { indexEnrollment, KeyNotIssuedError, PhotoMissingError } from '../lib/enrollment';
import { parseEnrollmentKey } from '../lib/enrollment-key';
import { checkLivenessSession, FACE_CHECK_FAILURES } from '../lib/liveness';
import { isLockedOut } from '../lib/lockout';
import { describeError, logger } from '../lib/logger';
import { countVerdict } from '../lib/metrics';
import type { Parts } from '../lib/parts';
import { Pseudonyms } from '../lib/pseudonym';
import { consumeLivenessSession, isLivenessSessionUsed, removeEmailCode, Store, type Verdict } from '../lib/store';
import { withErrorPolicy } from '../lib/trigger';
import { verdictOnce } from '../lib/verdicts';

/**
 * Cognito waits 5 s for a trigger. Each AWS call is bounded, but a check makes several in a row, so the whole
 * answer gets a budget too: a check still running when it ends is a wrong answer, not a Cognito error.
 */
export const ANSWER_BUDGET_MS = 4000;

/**
 * How long verify leaves an upload nobody decides yet to the S3 event's run before it checks the photo itself. That
 * run has 27 s where verify has 4, so it is the one that should index the face: a run cut short after IndexFaces
 * leaves a face no record names. The event is usually there first; when it is late, verify decides.
 */
export const UPLOAD_EVENT_GRACE_MS = 1000;

type Parameters = Record<string, string | undefined>;
type Event = VerifyAuthChallengeResponseTriggerEvent;

const refused = (sub: string, why: string): boolean => {
  logger.info('answer refused', { sub, why });
  return false;
};

export function makeHandler(parts: Parts<'dynamo' | 'rekognition' | 's3' | 'textract' | 'cognito'>) {
  const { config, clients, clock } = parts;
  const store = new Store(clients, config.tableName);
  const deps = { config, clients, clock, store };
  const pseudonyms = new Pseudonyms(store, clock);

  async function verifyEmailCode(event: Event, sub: string, parameters: Parameters, answer: string, nowMs: number): Promise<boolean> {
    const { challengeId, salt } = parameters;
    if (!challengeId || !salt) return refused(sub, 'the challenge carries no code');
    const key = await pseudonyms.key();
    const verdict = await verdictOnce(deps, sub, `EMAIL_CODE#${challengeId}`, nowMs, async (holdPlace) => {
      if (!(await holdPlace())) return { passed: false, counted: false };
      const { email = '', email_verified: verified } = event.request.userAttributes;
      // A code proves only the address it was sent to: not the user's address if it has changed since.
      const check = checkEmailCode(key, parameters, answer, nowMs, addressHash(key, email));
      // Before the code is used up: if the pool cannot be told, the answer is refused and the code can be answered again.
      if (check === 'MATCH' && verified !== 'true') await markEmailVerified(deps, event, email);
      // A code proves the address once: the first sign-in to answer it removes it; any other asking for it fails.
      const outcome = check === 'MATCH' && !(await removeEmailCode(store, sub, salt)) ? 'ALREADY_USED' : check;
      if (outcome !== 'MATCH') countVerdict('EmailCodeFailed', outcome);
      return { passed: outcome === 'MATCH', counted: outcome === 'WRONG_CODE' };
    });
    logger.info('email code checked', { sub, passed: verdict.passed });
    return verdict.passed;
  }

  /** The enrollment answer is right when the photo at the key issued in this challenge was accepted and is current. */
  async function verifyEnrollment(sub: string, key: string | undefined, answer: string, nowMs: number): Promise<boolean> {
    if (!key || parseEnrollmentKey(key)?.sub !== sub || answer !== 'uploaded') {
      return refused(sub, 'key or answer does not match the challenge');
    }
    try {
      const { decision, active } = await indexEnrollment(deps, sub, key, nowMs, {
        forMs: ANSWER_BUDGET_MS,
        afterMs: UPLOAD_EVENT_GRACE_MS,
      });
      const reason = decision.status === 'REJECTED' ? decision.reason : undefined;
      logger.info('enrollment answer checked', { sub, key, status: decision.status, reason, active });
      return decision.status === 'ACCEPTED' && active;
    } catch (error) {
      // Any client can answer `uploaded` without uploading: a plain refusal, not an error worth an alarm.
      if (error instanceof PhotoMissingError) return refused(sub, 'no photo was uploaded at the issued key');
      if (error instanceof KeyNotIssuedError) return refused(sub, 'the key was not issued');
      throw error;
    }
  }

  async function verifyLiveness(sub: string, sessionId: string | undefined, answer: string, nowMs: number): Promise<boolean> {
    if (!sessionId || answer !== sessionId) return refused(sub, 'the answer is not the issued session id');
    const verdict = await verdictOnce(deps, sub, `LIVENESS#${sessionId}`, nowMs, async (holdPlace): Promise<Verdict | undefined> => {
      // Consume first: a replay fails even if it races the original answer; the loser awaits the winner's verdict.
      // A session that is expired or was never issued has no winner to wait for: it is refused at once.
      if (!(await consumeLivenessSession(store, sub, sessionId, nowMs))) {
        if (await isLivenessSessionUsed(store, sub, sessionId)) return undefined;
        return { passed: false, counted: false };
      }
      if (!(await holdPlace())) return { passed: false, counted: false };
      const check = await checkLivenessSession(deps, sub, sessionId, nowMs);
      if (check.passed) {
        countVerdict('LivenessPassed');
        return { passed: true, counted: false };
      }
      logger.info('liveness check failed', { sub, failure: check.failure, detail: check.detail });
      countVerdict('LivenessFailed', check.failure);
      return { passed: false, counted: FACE_CHECK_FAILURES.has(check.failure) };
    });
    if (verdict.passed) logger.info('liveness check passed', { sub });
    return verdict.passed;
  }

  async function check(event: Event): Promise<boolean> {
    const nowMs = clock.now();
    const decoy = event.request.userNotFound === true;
    const sub = decoy ? await pseudonyms.sub(event.userName) : event.request.userAttributes.sub;
    if (!sub) return false;
    if (await isLockedOut(store, sub, nowMs)) return refused(sub, 'the user is locked out');
    const parameters: Parameters = event.request.privateChallengeParameters ?? {};
    const answer = String(event.request.challengeAnswer ?? '');
    switch (parameters.step) {
      case EMAIL_CODE:
        return verifyEmailCode(event, sub, parameters, answer, nowMs);
      case ENROLL_ID_PHOTO:
        return verifyEnrollment(sub, parameters.key, answer, nowMs);
      case FACE_LIVENESS:
        return verifyLiveness(sub, parameters.sessionId, answer, nowMs);
      default:
        return refused(sub, `unknown step ${String(parameters.step)}`);
    }
  }

  /** Never throws: an answer that could not be checked is a wrong answer, and the log says why. */
  async function verify(event: Event): Promise<Event> {
    let passed = false;
    try {
      passed = await check(event);
    } catch (error) {
      logger.error('answer refused: the check could not complete', describeError(error));
    }
    event.response = { answerCorrect: passed };
    return event;
  }

  const checkWithinBudget = withErrorPolicy(verify, ANSWER_BUDGET_MS);

  return async (event: Event): Promise<Event> => {
    try {
      return await checkWithinBudget(event);
    } catch {
      // Only the deadline ends up here; its cause is logged by the policy.
      event.response = { answerCorrect: false };
      return event;
    }
  };
}

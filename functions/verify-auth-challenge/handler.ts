/**
 * Verify auth challenge: answerCorrect starts false and becomes true only at the end of a fully passed check.
 * Client metadata is never read. Every wrong answer counts toward lockout; AWS errors are a wrong answer.
 */
import type { VerifyAuthChallengeResponseTriggerEvent } from 'aws-lambda';
import { ENROLL_ID_PHOTO, FACE_LIVENESS } from '../lib/challenge-flow';
import { config } from '../lib/config';
import { withDeadline } from '../lib/deadline';
import { indexEnrollment, PhotoMissingError } from '../lib/enrollment';
import { parseEnrollmentKey } from '../lib/enrollment-key';
import { checkLiveness } from '../lib/liveness';
import { isLockedOut, recordFailedCheck } from '../lib/lockout';
import { describeError, logEvent, logger } from '../lib/logger';

config();

/**
 * Cognito waits 5 s for a trigger. Each AWS call is bounded, but a check makes several in a row, so the whole
 * answer gets a budget too: a check still running when it ends is a wrong answer, not a Cognito error.
 */
export const ANSWER_BUDGET_MS = 4000;

/** The enrolment answer is right when the photo at the key we issued to this user was accepted. */
async function verifyEnrollment(sub: string, key: string | undefined, answer: string): Promise<boolean> {
  const parsed = key ? parseEnrollmentKey(key) : undefined;
  if (!key || !parsed || parsed.sub !== sub || answer !== 'uploaded') {
    logger.info('enrolment answer refused', { sub, why: 'key or answer does not match the challenge' });
    return false;
  }
  let decision;
  try {
    decision = await indexEnrollment(sub, key, parsed.contentType);
  } catch (error) {
    // Any client can answer `uploaded` without uploading: a plain refusal, not an error worth an alarm.
    if (!(error instanceof PhotoMissingError)) throw error;
    logger.info('enrolment answer refused', { sub, key, why: 'no photo was uploaded at the issued key' });
    return false;
  }
  logger.info('enrolment answer checked', { sub, key, status: decision.status, reason: decision.reason });
  return decision.status === 'ACCEPTED';
}

async function verifyLiveness(sub: string, sessionId: string | undefined, answer: string): Promise<boolean> {
  const verdict = await checkLiveness(sub, sessionId ?? '', answer);
  if (verdict.passed) logger.info('liveness check passed', { sub });
  else logger.info('liveness check failed', { sub, failure: verdict.failure, detail: verdict.detail });
  return verdict.passed;
}

async function check(event: VerifyAuthChallengeResponseTriggerEvent, sub: string): Promise<boolean> {
  const { step, key, sessionId } = event.request.privateChallengeParameters;
  const answer = String(event.request.challengeAnswer ?? '');
  if (await isLockedOut(sub)) {
    logger.info('answer refused: user is locked out', { sub });
    return false;
  }
  if (step === ENROLL_ID_PHOTO) return verifyEnrollment(sub, key, answer);
  if (step === FACE_LIVENESS) return verifyLiveness(sub, sessionId, answer);
  logger.warn('answer refused: unknown step', { sub, step });
  return false;
}

/** Runs the check and records a failed one for lockout; never throws. */
async function checkAndCount(event: VerifyAuthChallengeResponseTriggerEvent, sub: string): Promise<boolean> {
  let passed = false;
  try {
    passed = await check(event, sub);
  } catch (error) {
    logger.error('answer refused: the check could not complete', { sub, ...describeError(error) });
  }
  if (!passed) {
    try {
      await recordFailedCheck(sub);
    } catch (error) {
      logger.error('could not record a failed check', { sub, ...describeError(error) });
    }
  }
  return passed;
}

export const handler = async (event: VerifyAuthChallengeResponseTriggerEvent): Promise<VerifyAuthChallengeResponseTriggerEvent> => {
  logEvent(event);
  event.response = { answerCorrect: false };
  if (event.request.userNotFound) return event;
  const sub = event.request.userAttributes.sub;
  if (!sub) return event;
  const passed = await withDeadline(checkAndCount(event, sub), ANSWER_BUDGET_MS, () => {
    logger.error('answer refused: the check ran out of time', { sub, budgetMs: ANSWER_BUDGET_MS });
    return false;
  });
  event.response.answerCorrect = passed;
  return event;
};

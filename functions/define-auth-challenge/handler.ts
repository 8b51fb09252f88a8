/** Define auth challenge: walks the sign-in state machine and issues tokens only after a passed liveness check. */
import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { readSession } from '../lib/challenge-flow';
import { config } from '../lib/config';
import { isLockedOut } from '../lib/lockout';
import { logEvent, logger } from '../lib/logger';

const { maxAttempts } = config();

export const handler = async (event: DefineAuthChallengeTriggerEvent): Promise<DefineAuthChallengeTriggerEvent> => {
  logEvent(event);
  const fail = (why: string) => {
    logger.info('authentication ended', { why });
    event.response = { challengeName: '', issueTokens: false, failAuthentication: true };
    return event;
  };
  const challenge = () => {
    event.response = { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
    return event;
  };

  const progress = readSession(event.request.session ?? []);
  if (!progress.valid) return fail(`invalid session: ${progress.why}`);
  if (progress.wrongAnswers >= maxAttempts) return fail('too many wrong answers');
  // An unknown user walks the same path as an enrolled one and can never pass (verify always says no).
  if (event.request.userNotFound) return challenge();
  const sub = event.request.userAttributes.sub;
  if (!sub) return fail('user has no sub');
  if (await isLockedOut(sub)) return fail('user is locked out');
  if (progress.livenessPassed) {
    logger.info('authentication succeeded', { sub });
    event.response = { challengeName: '', issueTokens: true, failAuthentication: false };
    return event;
  }
  return challenge();
};

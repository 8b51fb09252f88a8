/** Define auth challenge: walks the sign-in state machine and issues tokens only after a passed liveness check. */
import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { readSession } from '../lib/challenge-flow';
import { config } from '../lib/config';
import { isLockedOut } from '../lib/lockout';
import { logger } from '../lib/logger';
import { pseudoSub } from '../lib/pseudonym';
import { withErrorPolicy } from '../lib/trigger';

const { maxAttempts } = config();

async function define(event: DefineAuthChallengeTriggerEvent): Promise<DefineAuthChallengeTriggerEvent> {
  const fail = (why: string) => {
    logger.info('authentication ended', { why });
    event.response = { challengeName: '', issueTokens: false, failAuthentication: true };
    return event;
  };
  const progress = readSession(event.request.session ?? []);
  if (!progress.valid) return fail(`invalid session: ${progress.why}`);
  if (progress.wrongAnswers >= maxAttempts) return fail('too many wrong answers');
  // An unknown username walks an enrolled user's path under its pseudo-identity, lockout included.
  const sub = event.request.userNotFound ? await pseudoSub(event.userName) : event.request.userAttributes.sub;
  if (!sub) return fail('user has no sub');
  if (await isLockedOut(sub, Date.now())) return fail('user is locked out');
  if (progress.livenessPassed && !event.request.userNotFound) {
    logger.info('authentication succeeded', { sub });
    event.response = { challengeName: '', issueTokens: true, failAuthentication: false };
    return event;
  }
  event.response = { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
  return event;
}

export const handler = withErrorPolicy(define);

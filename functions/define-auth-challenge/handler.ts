/** Define auth challenge: walks the sign-in state machine and issues tokens only after a passed liveness check. */
import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { readSession } from '../lib/challenge-flow';
import { isLockedOut } from '../lib/lockout';
import { logger } from '../lib/logger';
import type { Parts } from '../lib/parts';
import { Pseudonyms } from '../lib/pseudonym';
import { Store } from '../lib/store';
import { withErrorPolicy } from '../lib/trigger';

export function makeHandler({ config, clients, clock }: Parts<'dynamo'>) {
  const store = new Store(clients, config.tableName);
  const pseudonyms = new Pseudonyms(store, clock);

  async function define(event: DefineAuthChallengeTriggerEvent): Promise<DefineAuthChallengeTriggerEvent> {
    const fail = (why: string) => {
      logger.info('authentication ended', { why });
      event.response = { challengeName: '', issueTokens: false, failAuthentication: true };
      return event;
    };
    const progress = readSession(event.request.session ?? []);
    if (!progress.valid) return fail(`invalid session: ${progress.why}`);
    if (progress.wrongAnswers >= config.maxAttempts) return fail('too many wrong answers');
    // An unknown username walks an enrolled user's path under its pseudo-identity, lockout included.
    const sub = event.request.userNotFound ? await pseudonyms.sub(event.userName) : event.request.userAttributes.sub;
    if (!sub) return fail('user has no sub');
    if (await isLockedOut(store, sub, clock.now())) return fail('user is locked out');
    if (progress.livenessPassed && !event.request.userNotFound) {
      logger.info('authentication succeeded', { sub });
      event.response = { challengeName: '', issueTokens: true, failAuthentication: false };
      return event;
    }
    event.response = { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
    return event;
  }

  return withErrorPolicy(define);
}

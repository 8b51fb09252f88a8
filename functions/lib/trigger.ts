/**
 * The one error policy of every function. Cognito copies a trigger's error message into the answer an
 * unauthenticated caller reads, so no internal text may ever leave: a known refusal (`Refusal`) becomes the fixed
 * REFUSED text, anything else is logged in full and becomes the fixed FAILED text. The work runs under a
 * deadline whose signal aborts the AWS calls it gives up on.
 */
import { withDeadline } from './deadline';
import { describeError, logEvent, logger } from './logger';

/** A decision to refuse the request, with the reason for the log only. */
export class Refusal extends Error {
  override name = 'Refusal';
}

export const REFUSED_MESSAGE = 'Request refused.';
export const FAILED_MESSAGE = 'Request failed.';

/** Cognito gives a trigger 5 s; the work gets this much, the rest is kept to answer. */
export const TRIGGER_BUDGET_MS = 4500;

class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/** Wraps a function's work in the error policy and the deadline. */
export function withErrorPolicy<E, R>(work: (event: E) => Promise<R>, budgetMs = TRIGGER_BUDGET_MS): (event: E) => Promise<R> {
  return async (event: E): Promise<R> => {
    logEvent(event);
    try {
      return await withDeadline(
        () => work(event),
        budgetMs,
        () => {
          throw new DeadlineExceeded(`the work did not finish within ${budgetMs} ms`);
        },
      );
    } catch (error) {
      if (error instanceof Refusal) {
        logger.info('request refused', { why: error.message });
        throw new Error(REFUSED_MESSAGE);
      }
      logger.error('request failed', { ...describeError(error), stack: error instanceof Error ? error.stack : undefined });
      throw new Error(FAILED_MESSAGE);
    }
  };
}

/**
 * The one error policy of every function. Cognito copies a trigger's error message into the answer an
 * unauthenticated caller reads, so no internal text may ever leave: a known refusal (`Refusal`) becomes the fixed
 * REFUSED text, anything else is logged in full and becomes the fixed FAILED text. The work runs under a
 * deadline whose signal aborts the AWS calls it gives up on.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
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

/** What a function answers when its work was refused or failed: a fixed text, never the cause. */
interface PolicyAnswers<R> {
  refused(): R;
  failed(): R;
}

function withPolicy<E, R>(work: (event: E) => Promise<R>, budgetMs: number, answers: PolicyAnswers<R>): (event: E) => Promise<R> {
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
        return answers.refused();
      }
      logger.error('request failed', { ...describeError(error), stack: error instanceof Error ? error.stack : undefined });
      return answers.failed();
    }
  };
}

/** Wraps a trigger's (or any event function's) work in the error policy and the deadline: refusals are thrown. */
export function withErrorPolicy<E, R>(work: (event: E) => Promise<R>, budgetMs = TRIGGER_BUDGET_MS): (event: E) => Promise<R> {
  return withPolicy(work, budgetMs, {
    refused: () => {
      throw new Error(REFUSED_MESSAGE);
    },
    failed: () => {
      throw new Error(FAILED_MESSAGE);
    },
  });
}

/** An HTTP API answer with a JSON body. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}

/** The same policy for an HTTP API function: a refusal is 403, anything else 500, each with the fixed text only. */
export function withHttpErrorPolicy<E>(
  work: (event: E) => Promise<APIGatewayProxyStructuredResultV2>,
  budgetMs: number,
): (event: E) => Promise<APIGatewayProxyStructuredResultV2> {
  return withPolicy(work, budgetMs, {
    refused: () => jsonResponse(403, { message: REFUSED_MESSAGE }),
    failed: () => jsonResponse(500, { message: FAILED_MESSAGE }),
  });
}

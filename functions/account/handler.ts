/**
 * The signed-in account API (an HTTP API whose JWT authorizer has verified the user pool's access token):
 *   POST   /account/id-photo             an upload for a new ID photo, from a fresh face sign-in
 *   GET    /account/id-photo/{uploadId}  the decision on that upload: PENDING, ACCEPTED or REJECTED with a reason
 *   DELETE /account                      every face, photo and item of the user, then the Cognito user
 * The user is the token's `sub`, nothing else. Both changes need a fresh sign-in: the token's `auth_time` within
 * FreshSignInMinutes, so a stolen older token can do neither. Refusals are 403 with a fixed text; the log says why.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { deleteAccount } from '../lib/account-deletion';
import { logger } from '../lib/logger';
import { countVerdict } from '../lib/metrics';
import type { UserPoolParts } from '../lib/parts';
import { issueReplacementUpload, replacementStatus } from '../lib/replacement';
import { Store } from '../lib/store';
import { jsonResponse, Refusal, withHttpErrorPolicy } from '../lib/trigger';

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;
type Result = APIGatewayProxyStructuredResultV2;

/** API Gateway ends an HTTP API integration at 30 s; the work stops before, so its failure is logged. */
const ACCOUNT_BUDGET_MS = 25_000;
/** A token issued this far in the future is not one of the pool's. */
const CLOCK_SKEW_SECONDS = 60;

interface User {
  sub: string;
  username: string;
}

export function makeHandler({ config, clients, clock, userPoolId }: UserPoolParts) {
  const store = new Store(clients, config.tableName);
  const deps = { config, clients, store };
  const { tableName, bucketName, collectionId } = config;
  // Read per request: the clients are made on first use, not at the cold start's import.
  const targets = () => ({ ...clients, tableName, bucketName, collectionId, userPoolId });

  /** The user of a verified access token; a token of another kind (an ID token also passes the authorizer) is refused. */
  function userOf(event: Event): User {
    const claims = event.requestContext?.authorizer?.jwt?.claims ?? {};
    if (claims.token_use !== 'access') throw new Refusal('not an access token');
    const sub = String(claims.sub ?? '');
    const username = String(claims.username ?? '');
    if (!sub || !username) throw new Refusal('the token names no user');
    return { sub, username };
  }

  function freshUserOf(event: Event, nowMs: number): User {
    const user = userOf(event);
    const authTime = Number(event.requestContext.authorizer.jwt.claims.auth_time);
    const ageSeconds = nowMs / 1000 - authTime;
    if (!Number.isFinite(authTime) || ageSeconds > config.freshSignInMinutes * 60 || ageSeconds < -CLOCK_SKEW_SECONDS) {
      throw new Refusal(`the sign-in is not fresh (auth_time ${String(authTime)})`);
    }
    return user;
  }

  async function route(event: Event): Promise<Result> {
    const nowMs = clock.now();
    switch (event.routeKey) {
      case 'POST /account/id-photo': {
        const { sub } = freshUserOf(event, nowMs);
        const upload = await issueReplacementUpload(deps, sub, nowMs);
        logger.info('replacement upload issued', { sub, uploadId: upload.uploadId });
        return jsonResponse(200, upload);
      }
      case 'GET /account/id-photo/{uploadId}': {
        const { sub } = userOf(event);
        return jsonResponse(200, await replacementStatus(deps, sub, event.pathParameters?.uploadId ?? ''));
      }
      case 'DELETE /account': {
        const user = freshUserOf(event, nowMs);
        const deleted = await deleteAccount(targets(), user);
        // Counts only, and only of this user.
        logger.info('account deleted', { sub: user.sub, ...deleted });
        countVerdict('AccountDeleted');
        return jsonResponse(200, { deleted });
      }
      default:
        throw new Refusal(`no route ${String(event.routeKey)}`);
    }
  }

  return withHttpErrorPolicy(route, ACCOUNT_BUDGET_MS);
}

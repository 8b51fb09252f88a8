/**
 * An HTTP API's JWT authorizer, as API Gateway runs it: the token from the identity source (the bare token or
 * `Bearer <token>`), its RSA signature checked against the issuer's JWKS (fetched once and kept, as API Gateway keeps
 * it up to two hours), `iss` equal to the configured issuer, `exp` after and `nbf` and `iat` not after now, the `aud`
 * claim (or `client_id` when there is no `aud`, as in Cognito access tokens) one of the configured audiences, and
 * at least one of the route's authorization scopes if it has any. The claims reach the function as strings.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../aws/clock';

export interface JwtAuthorizer {
  name: string;
  /** The `iss` tokens must carry. */
  issuer: string;
  jwksUri: string;
  audience: string[];
  /** `$request.header.<Name>` or `$request.querystring.<name>`. */
  identitySource: string;
}

/** What the route's integration gets in `requestContext.authorizer.jwt`. */
export interface JwtContext {
  claims: Record<string, string>;
  scopes: string[] | null;
}

/** A refusal: 401 for a missing or invalid token, 403 for a valid one without a required scope. */
export interface JwtRefusal {
  status: 401 | 403;
  /** For the log only: the caller never learns why. */
  reason: string;
}

/** API Gateway accepts RSA-signed tokens only. */
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
const JWKS_CACHE_MS = 2 * 60 * 60 * 1000;

/** Numbers and booleans as their text, lists as `[a b]`, as API Gateway passes claims to the integration. */
function claimText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimText).join(' ')}]`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function tokenScopes(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  return Array.isArray(scope) ? scope.map(String) : [];
}

export class JwtVerifier {
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly clock: Clock) {}

  /** The token the identity source names, without a `Bearer ` prefix; undefined when the request has none. */
  static token(identitySource: string, headers: Record<string, string | string[] | undefined>, query: URLSearchParams) {
    const [, where, name] = /^\$request\.(header|querystring)\.(.+)$/.exec(identitySource) ?? [];
    const raw = where === 'header' ? headers[name!.toLowerCase()] : where === 'querystring' ? query.get(name!) : undefined;
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    return value ? value.replace(/^Bearer\s+/i, '') : undefined;
  }

  async authorize(authorizer: JwtAuthorizer, token: string | undefined, routeScopes: string[]): Promise<JwtContext | JwtRefusal> {
    if (!token) return { status: 401, reason: `no token in ${authorizer.identitySource}` };
    const nowMs = this.clock();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(authorizer.jwksUri), {
        issuer: authorizer.issuer,
        algorithms: RSA_ALGORITHMS,
        currentDate: new Date(nowMs),
        clockTolerance: 0,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return { status: 401, reason: `token refused: ${(error as Error).message}` };
    }
    if (typeof payload.iat === 'number' && payload.iat > nowMs / 1000) return { status: 401, reason: 'token issued in the future' };
    const audiences = payload.aud === undefined ? [payload.client_id] : [payload.aud].flat();
    if (!audiences.some((audience) => typeof audience === 'string' && authorizer.audience.includes(audience))) {
      return { status: 401, reason: `token audience ${JSON.stringify(audiences)} is not among ${JSON.stringify(authorizer.audience)}` };
    }
    const scopes = tokenScopes(payload);
    if (routeScopes.length > 0 && !routeScopes.some((scope) => scopes.includes(scope))) {
      return { status: 403, reason: `token has none of the route's scopes ${routeScopes.join(' ')}` };
    }
    const claims = Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, claimText(value)]));
    return { claims, scopes: routeScopes.length > 0 ? scopes : null };
  }

  private keySet(jwksUri: string) {
    let keySet = this.keySets.get(jwksUri);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(jwksUri), { cacheMaxAge: JWKS_CACHE_MS });
      this.keySets.set(jwksUri, keySet);
    }
    return keySet;
  }
}

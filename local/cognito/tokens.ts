/**
 * Token signing and checking. Id and access tokens are RS256 JWTs with Cognito's claims, signed by one RSA key
 * that is generated on first start and kept in `<dataDir>/cognito/signing-key.json`; its public half is the JWKS.
 * Refresh tokens are opaque random strings (Cognito's are JWEs; clients treat both as opaque).
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, errors as joseErrors, type JWK, type JWTPayload } from 'jose';
import type { JsonFile, StoredSigningKey, StoredUser } from './store';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface TokenLifetimes {
  accessTokenValiditySeconds: number;
  idTokenValiditySeconds: number;
}

/** One authentication: what every token issued from it (first or by refresh) shares. */
export interface AuthenticationOrigin {
  originJti: string;
  eventId: string;
  /** Epoch seconds of the sign-in. */
  authTime: number;
}

export interface AccessTokenClaims {
  sub: string;
  username: string;
  clientId: string;
  originJti: string;
  exp: number;
}

export type AccessTokenProblem = 'invalid' | 'expired';

export class TokenSigner {
  private constructor(
    private readonly kid: string,
    private readonly privateKey: SigningKey,
    private readonly publicKey: SigningKey,
    private readonly publicJwk: JWK,
    private readonly secret: string,
    readonly issuer: string,
  ) {}

  static async load(file: JsonFile<StoredSigningKey | null>, issuer: string): Promise<TokenSigner> {
    if (!file.value) {
      const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
      file.value = { kid: randomUUID(), privateJwk: { ...(await exportJWK(privateKey)) } };
      await file.save();
    }
    const { kid, privateJwk } = file.value;
    const privateKey = (await importJWK(privateJwk as JWK, 'RS256')) as SigningKey;
    const { kty, n, e } = privateJwk as JWK;
    const publicJwk: JWK = { kty, n, e, alg: 'RS256', kid, use: 'sig' };
    const publicKey = (await importJWK(publicJwk, 'RS256')) as SigningKey;
    return new TokenSigner(kid, privateKey, publicKey, publicJwk, String((privateJwk as JWK).d), issuer);
  }

  /**
   * A UUID that is the same for the same label on every call and restart, and unguessable without the key:
   * the stand-in username for a sign-in name that matched nobody, so it looks like a real user's.
   */
  stableUuid(label: string): string {
    const h = createHmac('sha256', this.secret).update(label).digest();
    h[6] = (h[6]! & 0x0f) | 0x40;
    h[8] = (h[8]! & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async issue(user: StoredUser, clientId: string, origin: AuthenticationOrigin, lifetimes: TokenLifetimes, nowMs: number) {
    const iat = Math.floor(nowMs / 1000);
    const common = {
      sub: user.sub,
      origin_jti: origin.originJti,
      event_id: origin.eventId,
      auth_time: origin.authTime,
      iat,
      jti: randomUUID(),
    };
    const idToken = await this.sign({
      ...common,
      email_verified: user.emailVerified,
      iss: this.issuer,
      'cognito:username': user.username,
      aud: clientId,
      token_use: 'id',
      exp: iat + lifetimes.idTokenValiditySeconds,
      email: user.email,
    });
    const accessToken = await this.sign({
      ...common,
      jti: randomUUID(),
      iss: this.issuer,
      client_id: clientId,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      exp: iat + lifetimes.accessTokenValiditySeconds,
      username: user.username,
    });
    return { idToken, accessToken, expiresIn: lifetimes.accessTokenValiditySeconds };
  }

  /** Checks an access token we issued: signature, issuer, `token_use`, expiry against the emulator's clock. */
  async verifyAccessToken(token: string, nowMs: number): Promise<AccessTokenClaims | AccessTokenProblem> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        algorithms: ['RS256'],
        currentDate: new Date(nowMs),
        clockTolerance: 0,
      }));
    } catch (error) {
      return error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
    }
    const { sub, username, client_id: clientId, origin_jti: originJti, token_use: use, exp } = payload;
    if (
      use !== 'access' ||
      typeof sub !== 'string' ||
      typeof username !== 'string' ||
      typeof clientId !== 'string' ||
      typeof originJti !== 'string' ||
      typeof exp !== 'number'
    ) {
      return 'invalid';
    }
    return { sub, username, clientId, originJti, exp };
  }

  private sign(claims: JWTPayload): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ kid: this.kid, alg: 'RS256' }).sign(this.privateKey);
  }
}

export function newRefreshToken(): { token: string; tokenHash: string } {
  const token = randomBytes(48).toString('base64url');
  return { token, tokenHash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

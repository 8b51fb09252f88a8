/**
 * The tokens a sign-in grants and what can be done with them: issuing id, access and refresh tokens, refreshing,
 * the signed-in user's GetUser, and revocation (GlobalSignOut, RevokeToken, and a deleted user's tokens). A revoked
 * authentication's access tokens are refused until the longest of them has expired anyway.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws/errors';
import { notAuthorized, userNotFound } from './errors';
import { attributesOf, checkClient, readRequest, requireFlow, requiredString, type Operation, type PoolContext } from './pool-context';
import { ownValue, type StoredUser } from './store';
import { hashRefreshToken, newRefreshToken, type AuthenticationOrigin } from './tokens';

export class TokenGrants {
  constructor(private readonly context: PoolContext) {}

  readonly operations: Record<string, Operation> = {
    GetTokensFromRefreshToken: (input) => this.getTokensFromRefreshToken(input),
    GetUser: (input) => this.getUser(input),
    GlobalSignOut: (input) => this.globalSignOut(input),
    RevokeToken: (input) => this.revokeToken(input),
  };

  /** A new authentication of `user`: id and access tokens, and a refresh token (stored only as its hash). */
  async signIn(user: StoredUser) {
    const { settings, store } = this.context;
    const now = this.context.now();
    const origin: AuthenticationOrigin = { originJti: randomUUID(), eventId: randomUUID(), authTime: Math.floor(now / 1000) };
    const tokens = await this.context.signer.issue(user, settings.clientId, origin, settings, now);
    const refresh = newRefreshToken();
    store.refreshTokens.value[refresh.tokenHash] = {
      tokenHash: refresh.tokenHash,
      username: user.username,
      clientId: settings.clientId,
      ...origin,
      expiresAt: now + settings.refreshTokenValiditySeconds * 1000,
      revoked: false,
    };
    await store.refreshTokens.save();
    return {
      AccessToken: tokens.accessToken,
      ExpiresIn: tokens.expiresIn,
      TokenType: 'Bearer',
      RefreshToken: refresh.token,
      IdToken: tokens.idToken,
    };
  }

  /** New id and access tokens from the same authentication; the refresh token is not rotated. */
  async refresh(refreshToken: string) {
    const { settings, store } = this.context;
    const record = ownValue(store.refreshTokens.value, hashRefreshToken(refreshToken));
    if (!record || record.clientId !== settings.clientId) throw notAuthorized('Invalid Refresh Token');
    if (record.revoked) throw notAuthorized('Refresh Token has been revoked');
    const now = this.context.now();
    if (record.expiresAt <= now) throw notAuthorized('Refresh Token has expired');
    const user = ownValue(store.users.value, record.username);
    if (!user) throw notAuthorized('User does not exist.');
    const tokens = await this.context.signer.issue(user, record.clientId, record, settings, now);
    return { AccessToken: tokens.accessToken, ExpiresIn: tokens.expiresIn, TokenType: 'Bearer', IdToken: tokens.idToken };
  }

  /** Revokes every authentication of the user (its refresh tokens and their access tokens); saved by the caller. */
  revokeUser(username: string): void {
    for (const record of Object.values(this.context.store.refreshTokens.value)) {
      if (record.username === username && !record.revoked) {
        record.revoked = true;
        this.revokeOrigin(record.originJti);
      }
    }
  }

  /** Saves revocations, forgetting those and the refresh tokens past any use. */
  async saveRevocations(): Promise<void> {
    const { store } = this.context;
    const now = this.context.now();
    const origins = store.revokedOrigins.value;
    for (const [id, entry] of Object.entries(origins)) if (entry.forgetAt <= now) delete origins[id];
    const tokens = store.refreshTokens.value;
    for (const [hash, record] of Object.entries(tokens)) if (record.expiresAt <= now) delete tokens[hash];
    await Promise.all([store.revokedOrigins.save(), store.refreshTokens.save()]);
  }

  private async getTokensFromRefreshToken(input: Record<string, unknown>) {
    const reader = readRequest(input);
    const clientId = requiredString(reader, 'ClientId');
    const refreshToken = requiredString(reader, 'RefreshToken');
    reader.finish();
    checkClient(this.context, clientId);
    requireFlow(this.context, 'ALLOW_REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH');
    return { AuthenticationResult: await this.refresh(refreshToken) };
  }

  private async getUser(input: Record<string, unknown>) {
    const { user } = await this.authorize(input);
    return { Username: user.username, UserAttributes: attributesOf(user) };
  }

  private async globalSignOut(input: Record<string, unknown>) {
    const { user, originJti } = await this.authorize(input);
    this.revokeOrigin(originJti);
    this.revokeUser(user.username);
    await this.saveRevocations();
    return {};
  }

  private async revokeToken(input: Record<string, unknown>) {
    const reader = readRequest(input);
    const clientId = requiredString(reader, 'ClientId');
    const token = requiredString(reader, 'Token');
    reader.finish();
    checkClient(this.context, clientId);
    const record = ownValue(this.context.store.refreshTokens.value, hashRefreshToken(token));
    if (!record) {
      if (token.split('.').length === 3) throw new AwsError('UnsupportedTokenTypeException', 'Unsupported token type');
      throw notAuthorized('Invalid Refresh Token');
    }
    if (!record.revoked) {
      record.revoked = true;
      this.revokeOrigin(record.originJti);
      await this.saveRevocations();
    }
    return {};
  }

  /** The user behind the request's AccessToken: valid, unrevoked and of this client. */
  private async authorize(input: Record<string, unknown>) {
    const reader = readRequest(input);
    const accessToken = requiredString(reader, 'AccessToken');
    reader.finish();
    const { settings, store } = this.context;
    const claims = await this.context.signer.verifyAccessToken(accessToken, this.context.now());
    if (claims === 'expired') throw notAuthorized('Access Token has expired');
    if (claims === 'invalid' || claims.clientId !== settings.clientId) throw notAuthorized('Invalid Access Token');
    if (ownValue(store.revokedOrigins.value, claims.originJti)) throw notAuthorized('Access Token has been revoked');
    const user = ownValue(store.users.value, claims.username);
    if (!user) throw userNotFound();
    return { user, originJti: claims.originJti };
  }

  private revokeOrigin(originJti: string): void {
    const { settings } = this.context;
    const longestToken = Math.max(settings.accessTokenValiditySeconds, settings.idTokenValiditySeconds) * 1000;
    this.context.store.revokedOrigins.value[originJti] = { originJti, forgetAt: this.context.now() + longestToken };
  }
}

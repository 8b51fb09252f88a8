import {
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { JwtVerifier } from 'aws-jwt-verify';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { CLIENT_ID, POOL_ID, signIn, signUpAndConfirm, startTestPool, type TestPool } from './harness';

let pool: TestPool;
beforeEach(async () => {
  pool = await startTestPool();
});
afterEach(async () => {
  await pool.stop();
});

const verifyWithJwks = async (token: string) => {
  const jwks = createRemoteJWKSet(new URL(pool.emulator.jwksUri));
  return (await jwtVerify(token, jwks, { issuer: pool.emulator.issuer, algorithms: ['RS256'] })).payload;
};
const refresh = (refreshToken: string) =>
  pool.client.send(
    new InitiateAuthCommand({
      ClientId: CLIENT_ID,
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    }),
  );
const getUser = (accessToken: string) => pool.client.send(new GetUserCommand({ AccessToken: accessToken }));

describe('tokens', () => {
  test("signs an id token with Cognito's claims that verifies against the JWKS", async () => {
    const sub = await signUpAndConfirm(pool, 'ada@example.com');
    const tokens = await signIn(pool, 'ada@example.com');
    const claims = await verifyWithJwks(tokens.IdToken!);
    expect(claims).toEqual({
      sub,
      email: 'ada@example.com',
      email_verified: true,
      iss: `${pool.emulator.endpoint}/${POOL_ID}`,
      aud: CLIENT_ID,
      token_use: 'id',
      'cognito:username': sub,
      auth_time: expect.any(Number),
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      origin_jti: expect.any(String),
      event_id: expect.any(String),
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(decodeProtectedHeader(tokens.IdToken!)).toEqual({ alg: 'RS256', kid: expect.any(String) });
  });

  test("signs an access token with Cognito's claims that aws-jwt-verify accepts", async () => {
    const sub = await signUpAndConfirm(pool, 'grace@example.com');
    const tokens = await signIn(pool, 'grace@example.com');
    // aws-jwt-verify fetches only over https, so it is given the emulator's JWKS as served over http.
    const verifier = JwtVerifier.create({
      issuer: pool.emulator.issuer,
      audience: null,
      jwksUri: pool.emulator.jwksUri,
      customJwtCheck: ({ payload }) => {
        if (payload.client_id !== CLIENT_ID || payload.token_use !== 'access') throw new Error('not our access token');
      },
    });
    verifier.cacheJwks(await (await fetch(pool.emulator.jwksUri)).json());
    const claims = await verifier.verify(tokens.AccessToken!);
    expect(claims).toEqual({
      sub,
      iss: pool.emulator.issuer,
      client_id: CLIENT_ID,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      username: sub,
      auth_time: expect.any(Number),
      exp: expect.any(Number),
      iat: expect.any(Number),
      jti: expect.any(String),
      origin_jti: expect.any(String),
      event_id: expect.any(String),
    });
  });

  test('serves the same JWKS at the pool path and at the root', async () => {
    const atPool = await (await fetch(pool.emulator.jwksUri)).json();
    const atRoot = await (await fetch(`${pool.emulator.endpoint}/.well-known/jwks.json`)).json();
    expect(atRoot).toEqual(atPool);
    expect(atPool.keys).toEqual([{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' }]);
  });

  test('returns the signed-in user from GetUser', async () => {
    const sub = await signUpAndConfirm(pool, 'me@example.com');
    const tokens = await signIn(pool, 'me@example.com');
    const user = await getUser(tokens.AccessToken!);
    expect(user.Username).toBe(sub);
    expect(user.UserAttributes).toEqual([
      { Name: 'sub', Value: sub },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'email', Value: 'me@example.com' },
    ]);
  });

  test('refuses an id token, a tampered token and an expired token in GetUser', async () => {
    await signUpAndConfirm(pool, 'bad@example.com');
    const tokens = await signIn(pool, 'bad@example.com');
    await expect(getUser(tokens.IdToken!)).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Invalid Access Token' });
    const [h, p, s] = tokens.AccessToken!.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await expect(getUser(tampered)).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Invalid Access Token' });
    pool.advance(3601 * 1000);
    await expect(getUser(tokens.AccessToken!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Access Token has expired',
    });
  });

  test('refreshes into new id and access tokens of the same sign-in', async () => {
    await signUpAndConfirm(pool, 'fresh@example.com');
    const tokens = await signIn(pool, 'fresh@example.com');
    const refreshed = await refresh(tokens.RefreshToken!);
    expect(refreshed.AuthenticationResult?.RefreshToken).toBeUndefined();
    const before = await verifyWithJwks(tokens.AccessToken!);
    const after = await verifyWithJwks(refreshed.AuthenticationResult!.AccessToken!);
    expect(after.jti).not.toBe(before.jti);
    expect(after.origin_jti).toBe(before.origin_jti);
    expect(after.auth_time).toBe(before.auth_time);
    await expect(getUser(refreshed.AuthenticationResult!.AccessToken!)).resolves.toBeDefined();
  });

  test('refreshes through GetTokensFromRefreshToken as amplify v6 does', async () => {
    await signUpAndConfirm(pool, 'amplify@example.com');
    const tokens = await signIn(pool, 'amplify@example.com');
    const refreshed = await pool.client.send(
      new GetTokensFromRefreshTokenCommand({ ClientId: CLIENT_ID, RefreshToken: tokens.RefreshToken! }),
    );
    expect(refreshed.AuthenticationResult).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });
    await expect(verifyWithJwks(refreshed.AuthenticationResult!.IdToken!)).resolves.toMatchObject({ token_use: 'id' });
  });

  test('refuses an unknown refresh token', async () => {
    await expect(refresh('not-a-refresh-token')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid Refresh Token',
    });
  });

  test('refuses a refresh token past its validity', async () => {
    await signUpAndConfirm(pool, 'old@example.com');
    const tokens = await signIn(pool, 'old@example.com');
    pool.advance(86401 * 1000);
    await expect(refresh(tokens.RefreshToken!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Refresh Token has expired',
    });
  });

  test('global sign-out revokes every refresh token and access token of the user', async () => {
    await signUpAndConfirm(pool, 'out@example.com');
    const one = await signIn(pool, 'out@example.com');
    const two = await signIn(pool, 'out@example.com');
    await pool.client.send(new GlobalSignOutCommand({ AccessToken: one.AccessToken! }));
    for (const tokens of [one, two]) {
      await expect(getUser(tokens.AccessToken!)).rejects.toMatchObject({
        name: 'NotAuthorizedException',
        message: 'Access Token has been revoked',
      });
      await expect(refresh(tokens.RefreshToken!)).rejects.toMatchObject({
        name: 'NotAuthorizedException',
        message: 'Refresh Token has been revoked',
      });
    }
    await expect(signIn(pool, 'out@example.com')).resolves.toBeDefined();
  });

  test('revoking a refresh token revokes it and the access tokens issued from it, and nothing else', async () => {
    await signUpAndConfirm(pool, 'revoke@example.com');
    const one = await signIn(pool, 'revoke@example.com');
    const two = await signIn(pool, 'revoke@example.com');
    const refreshedOne = await refresh(one.RefreshToken!);
    await pool.client.send(new RevokeTokenCommand({ ClientId: CLIENT_ID, Token: one.RefreshToken! }));
    await expect(refresh(one.RefreshToken!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Refresh Token has been revoked',
    });
    await expect(getUser(one.AccessToken!)).rejects.toMatchObject({ message: 'Access Token has been revoked' });
    await expect(getUser(refreshedOne.AuthenticationResult!.AccessToken!)).rejects.toMatchObject({
      message: 'Access Token has been revoked',
    });
    await expect(getUser(two.AccessToken!)).resolves.toBeDefined();
  });

  test('refuses to revoke an access token', async () => {
    await signUpAndConfirm(pool, 'type@example.com');
    const tokens = await signIn(pool, 'type@example.com');
    await expect(pool.client.send(new RevokeTokenCommand({ ClientId: CLIENT_ID, Token: tokens.AccessToken! }))).rejects.toMatchObject({
      name: 'UnsupportedTokenTypeException',
    });
  });
});

import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { CLIENT_ID, POOL_ID, clientFor, signIn, signUpAndConfirm, startCustomAuth, startTestPool, type TestPool } from './harness';

let pool: TestPool;
beforeEach(async () => {
  pool = await startTestPool();
});
afterEach(async () => {
  await pool.stop();
});

describe('admin operations', () => {
  test('AdminGetUser returns the user by email or by username', async () => {
    const sub = await signUpAndConfirm(pool, 'ada@example.com');
    for (const name of ['ada@example.com', sub]) {
      const user = await pool.client.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: name }));
      expect(user).toMatchObject({ Username: sub, UserStatus: 'CONFIRMED', Enabled: true });
      expect(user.UserCreateDate).toBeInstanceOf(Date);
      expect(user.UserAttributes).toContainEqual({ Name: 'email', Value: 'ada@example.com' });
    }
  });

  test('AdminDeleteUser removes the user and ends its tokens', async () => {
    await signUpAndConfirm(pool, 'gone@example.com');
    const tokens = await signIn(pool, 'gone@example.com');
    await pool.client.send(new AdminDeleteUserCommand({ UserPoolId: POOL_ID, Username: 'gone@example.com' }));
    await expect(pool.client.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: 'gone@example.com' }))).rejects.toMatchObject({
      name: 'UserNotFoundException',
      message: 'User does not exist.',
    });
    await expect(pool.client.send(new GetUserCommand({ AccessToken: tokens.AccessToken! }))).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    await expect(
      pool.client.send(
        new InitiateAuthCommand({
          ClientId: CLIENT_ID,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  const updateAttributes = (sub: string, attributes: Array<{ Name: string; Value: string }>) =>
    pool.client.send(new AdminUpdateUserAttributesCommand({ UserPoolId: POOL_ID, Username: sub, UserAttributes: attributes }));
  const attributeOf = async (sub: string, name: string) =>
    (await pool.client.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: sub }))).UserAttributes?.find(
      ({ Name }) => Name === name,
    )?.Value;
  const verifiedFlag = (value: 'true' | 'false') => ({ Name: 'email_verified', Value: value });

  test('AdminUpdateUserAttributes sets email_verified either way', async () => {
    const sub = await signUpAndConfirm(pool, 'proven@example.com');
    await updateAttributes(sub, [verifiedFlag('false')]);
    expect(await attributeOf(sub, 'email_verified')).toBe('false');
    await updateAttributes(sub, [verifiedFlag('true')]);
    expect(await attributeOf(sub, 'email_verified')).toBe('true');
  });

  test('keeps an email_verified set by AdminUpdateUserAttributes across a restart', async () => {
    const sub = await signUpAndConfirm(pool, 'kept@example.com');
    await updateAttributes(sub, [verifiedFlag('false')]);
    await pool.restart();
    expect(await attributeOf(sub, 'email_verified')).toBe('false');
  });

  test('puts an email_verified set by AdminUpdateUserAttributes in the next ID token', async () => {
    const sub = await signUpAndConfirm(pool, 'claimed@example.com');
    await updateAttributes(sub, [verifiedFlag('false')]);
    const tokens = await signIn(pool, 'claimed@example.com');
    const { payload } = await jwtVerify(tokens.IdToken!, createRemoteJWKSet(new URL(pool.emulator.jwksUri)));
    expect(payload.email_verified).toBe(false);
  });

  test('AdminUpdateUserAttributes takes the email as it is with the flag, as verify sends them', async () => {
    const sub = await signUpAndConfirm(pool, 'named@example.com');
    await updateAttributes(sub, [verifiedFlag('false')]);
    await updateAttributes(sub, [{ Name: 'email', Value: 'Named@Example.com' }, verifiedFlag('true')]);
    expect(await attributeOf(sub, 'email')).toBe('named@example.com');
    expect(await attributeOf(sub, 'email_verified')).toBe('true');
  });

  test.each([
    ['another address', [{ Name: 'email', Value: 'someone-else@example.com' }]],
    ['another attribute', [{ Name: 'name', Value: 'Ada' }]],
    ['a value other than true or false', [{ Name: 'email_verified', Value: 'yes' }]],
    ['no attribute', []],
  ])('AdminUpdateUserAttributes refuses %s and changes nothing', async (_what, attributes) => {
    const sub = await signUpAndConfirm(pool, 'unchanged@example.com');
    const attributesNow = async () =>
      (await pool.client.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: sub }))).UserAttributes;
    const before = await attributesNow();
    await expect(updateAttributes(sub, attributes)).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(await attributesNow()).toEqual(before);
  });

  test('ListUsers finds a user by sub with only the attributes asked for, and no one for a sub that is gone', async () => {
    const sub = await signUpAndConfirm(pool, 'ada@example.com');
    await signUpAndConfirm(pool, 'bob@example.com');
    const found = await pool.client.send(new ListUsersCommand({ UserPoolId: POOL_ID, Filter: `sub = "${sub}"`, AttributesToGet: ['sub'] }));
    expect(found.Users).toEqual([expect.objectContaining({ Username: sub, Attributes: [{ Name: 'sub', Value: sub }] })]);
    await pool.client.send(new AdminDeleteUserCommand({ UserPoolId: POOL_ID, Username: sub }));
    expect((await pool.client.send(new ListUsersCommand({ UserPoolId: POOL_ID, Filter: `sub = "${sub}"` }))).Users).toEqual([]);
  });

  test('ListUsers pages through every user, and filters by email prefix', async () => {
    for (const name of ['a', 'b', 'c']) await signUpAndConfirm(pool, `${name}@example.com`);
    const first = await pool.client.send(new ListUsersCommand({ UserPoolId: POOL_ID, Limit: 2 }));
    const second = await pool.client.send(new ListUsersCommand({ UserPoolId: POOL_ID, Limit: 2, PaginationToken: first.PaginationToken }));
    expect(first.Users).toHaveLength(2);
    expect(second.Users).toHaveLength(1);
    expect(second.PaginationToken).toBeUndefined();
    const emails = [...first.Users!, ...second.Users!].map((user) => user.Attributes?.find(({ Name }) => Name === 'email')?.Value).sort();
    expect(emails).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    const prefixed = await pool.client.send(new ListUsersCommand({ UserPoolId: POOL_ID, Filter: 'email ^= "b@"' }));
    expect(prefixed.Users?.map((user) => user.Attributes?.find(({ Name }) => Name === 'email')?.Value)).toEqual(['b@example.com']);
  });

  test('ListUsers refuses a filter it cannot read', async () => {
    await expect(pool.client.send(new ListUsersCommand({ UserPoolId: POOL_ID, Filter: 'sub = x" or 1' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  test('refuses an unknown user pool id', async () => {
    await expect(
      pool.client.send(new AdminGetUserCommand({ UserPoolId: 'eu-west-1_Other', Username: 'x@example.com' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'User pool eu-west-1_Other does not exist.' });
  });

  test.each([
    ['the wrong secret', { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'not-the-secret' }, 'InvalidSignatureException'],
    ['an unknown access key', { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'local-test-secret' }, 'UnrecognizedClientException'],
  ])('refuses a request signed with %s', async (_, credentials, name) => {
    await signUpAndConfirm(pool, 'sig@example.com');
    const client = clientFor(pool.emulator, credentials);
    try {
      await expect(client.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: 'sig@example.com' }))).rejects.toMatchObject({
        name,
      });
    } finally {
      client.destroy();
    }
  });

  test('refuses an unsigned admin request', async () => {
    const response = await fetch(pool.emulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminGetUser' },
      body: JSON.stringify({ UserPoolId: POOL_ID, Username: 'x@example.com' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });
});

describe('persistence', () => {
  test('keeps users, refresh tokens and the signing key across a restart', async () => {
    const sub = await signUpAndConfirm(pool, 'stay@example.com');
    const tokens = await signIn(pool, 'stay@example.com');
    const keysBefore = await (await fetch(pool.emulator.jwksUri)).json();
    await pool.restart();
    expect(await (await fetch(pool.emulator.jwksUri)).json()).toEqual(keysBefore);
    const refreshed = await pool.client.send(
      new InitiateAuthCommand({
        ClientId: CLIENT_ID,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! },
      }),
    );
    const { payload } = await jwtVerify(refreshed.AuthenticationResult!.IdToken!, createRemoteJWKSet(new URL(pool.emulator.jwksUri)));
    expect(payload.sub).toBe(sub);
    expect((await startCustomAuth(pool, 'stay@example.com')).ChallengeParameters?.USERNAME).toBe(sub);
  });

  test('keeps revocations across a restart', async () => {
    await signUpAndConfirm(pool, 'revoked@example.com');
    const tokens = await signIn(pool, 'revoked@example.com');
    await pool.client.send(new GlobalSignOutCommand({ AccessToken: tokens.AccessToken! }));
    await pool.restart();
    await expect(
      pool.client.send(
        new InitiateAuthCommand({
          ClientId: CLIENT_ID,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken! },
        }),
      ),
    ).rejects.toMatchObject({ message: 'Refresh Token has been revoked' });
  });

  test('writes no refresh token in the clear and leaves no temporary files', async () => {
    await signUpAndConfirm(pool, 'disk@example.com');
    const tokens = await signIn(pool, 'disk@example.com');
    const dir = join(pool.dataDir, 'cognito');
    expect((await readdir(dir)).sort()).toEqual(['refresh-tokens.json', 'signing-key.json', 'users.json']);
    expect(await readFile(join(dir, 'refresh-tokens.json'), 'utf8')).not.toContain(tokens.RefreshToken!);
    expect(await readFile(join(dir, 'users.json'), 'utf8')).not.toContain('Aa1!random-password');
  });

  test('refuses to start on a damaged data file, naming it', async () => {
    await signUpAndConfirm(pool, 'torn@example.com');
    await writeFile(join(pool.dataDir, 'cognito', 'users.json'), '{"half":');
    await expect(pool.restart()).rejects.toThrow(/Cannot read .*cognito\/users\.json/);
  });
});

import { InitiateAuthCommand, RespondToAuthChallengeCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CLIENT_ID, answer, signIn, signUpAndConfirm, startCustomAuth, startTestPool, type TestPool } from './harness';

let pool: TestPool;
beforeEach(async () => {
  pool = await startTestPool();
});
afterEach(async () => {
  await pool.stop();
});

describe('custom authentication', () => {
  test('runs the two-step flow and issues tokens after the second right answer', async () => {
    const sub = await signUpAndConfirm(pool, 'ada@example.com');
    const first = await startCustomAuth(pool, 'ada@example.com');
    expect(first.ChallengeName).toBe('CUSTOM_CHALLENGE');
    expect(first.ChallengeParameters).toMatchObject({ step: 'ENROLL', USERNAME: sub });
    const second = await answer(pool, 'ada@example.com', first.Session!, first.ChallengeParameters!.hint!);
    expect(second.ChallengeParameters).toMatchObject({ step: 'FACE', USERNAME: sub });
    expect(second.Session).not.toBe(first.Session);
    const third = await answer(pool, sub, second.Session!, second.ChallengeParameters!.hint!);
    expect(third.ChallengeName).toBeUndefined();
    expect(third.AuthenticationResult).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });
    expect(third.AuthenticationResult?.AccessToken).toBeDefined();
    expect(third.AuthenticationResult?.IdToken).toBeDefined();
    expect(third.AuthenticationResult?.RefreshToken).toBeDefined();
  });

  test('gives a new challenge of the same step after a wrong answer', async () => {
    await signUpAndConfirm(pool, 'retry@example.com');
    const first = await startCustomAuth(pool, 'retry@example.com');
    const again = await answer(pool, 'retry@example.com', first.Session!, 'wrong');
    expect(again.ChallengeParameters?.step).toBe('ENROLL');
    expect(again.ChallengeParameters?.hint).not.toBe(first.ChallengeParameters?.hint);
  });

  test('ends the flow with NotAuthorizedException after three wrong answers', async () => {
    await signUpAndConfirm(pool, 'thrice@example.com');
    let step = await startCustomAuth(pool, 'thrice@example.com');
    step = await answer(pool, 'thrice@example.com', step.Session!, 'wrong-1');
    step = await answer(pool, 'thrice@example.com', step.Session!, 'wrong-2');
    await expect(answer(pool, 'thrice@example.com', step.Session!, 'wrong-3')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });

  test('gives a name that matches nobody a challenge that looks like a real one', async () => {
    const sub = await signUpAndConfirm(pool, 'real@example.com');
    const real = await startCustomAuth(pool, 'real@example.com');
    const ghost = await startCustomAuth(pool, 'ghost@example.com');
    expect(Object.keys(ghost.ChallengeParameters!).sort()).toEqual(Object.keys(real.ChallengeParameters!).sort());
    expect(ghost.ChallengeParameters!.USERNAME).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ghost.ChallengeParameters!.USERNAME).not.toBe(sub);
    expect((await startCustomAuth(pool, 'GHOST@example.com')).ChallengeParameters!.USERNAME).toBe(ghost.ChallengeParameters!.USERNAME);
  });

  test('never issues tokens for a name that matches nobody, even if Define says so', async () => {
    pool.handlers.DefineAuthChallenge = async (event) => {
      event.response =
        event.request.session.length === 0
          ? { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false }
          : { issueTokens: true, failAuthentication: false };
      return event;
    };
    const ghost = await startCustomAuth(pool, 'ghost@example.com');
    await expect(answer(pool, 'ghost@example.com', ghost.Session!, ghost.ChallengeParameters!.hint!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });

  test('reports an unknown user with UserNotFoundException when existence errors are not prevented', async () => {
    const legacy = await startTestPool({ userPool: { preventUserExistenceErrors: false } });
    try {
      await expect(startCustomAuth(legacy, 'ghost@example.com')).rejects.toMatchObject({
        name: 'UserNotFoundException',
        message: 'User does not exist.',
      });
    } finally {
      await legacy.stop();
    }
  });

  test('refuses an unconfirmed user with UserNotConfirmedException', async () => {
    await pool.client.send(new SignUpCommand({ ClientId: CLIENT_ID, Username: 'pending@example.com', Password: 'Aa1!aaaaaa' }));
    await expect(startCustomAuth(pool, 'pending@example.com')).rejects.toMatchObject({ name: 'UserNotConfirmedException' });
  });

  test('refuses a Session that was already answered', async () => {
    await signUpAndConfirm(pool, 'reuse@example.com');
    const first = await startCustomAuth(pool, 'reuse@example.com');
    await answer(pool, 'reuse@example.com', first.Session!, first.ChallengeParameters!.hint!);
    await expect(answer(pool, 'reuse@example.com', first.Session!, first.ChallengeParameters!.hint!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user.',
    });
  });

  test('refuses a Session older than the auth session validity', async () => {
    await signUpAndConfirm(pool, 'slow@example.com');
    const first = await startCustomAuth(pool, 'slow@example.com');
    pool.advance(181 * 1000);
    await expect(answer(pool, 'slow@example.com', first.Session!, first.ChallengeParameters!.hint!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user, session is expired.',
    });
  });

  test('refuses a Session answered for another user', async () => {
    await signUpAndConfirm(pool, 'owner@example.com');
    await signUpAndConfirm(pool, 'other@example.com');
    const first = await startCustomAuth(pool, 'owner@example.com');
    await expect(answer(pool, 'other@example.com', first.Session!, first.ChallengeParameters!.hint!)).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user.',
    });
  });

  test('refuses a made-up Session', async () => {
    await signUpAndConfirm(pool, 'forge@example.com');
    await expect(answer(pool, 'forge@example.com', 'made-up-session', 'x')).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  });

  test('refuses an answer without ANSWER', async () => {
    await signUpAndConfirm(pool, 'blank@example.com');
    const first = await startCustomAuth(pool, 'blank@example.com');
    await expect(
      pool.client.send(
        new RespondToAuthChallengeCommand({
          ClientId: CLIENT_ID,
          ChallengeName: 'CUSTOM_CHALLENGE',
          Session: first.Session,
          ChallengeResponses: { USERNAME: 'blank@example.com' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Missing required parameter ANSWER' });
  });

  test.each([
    ['USER_SRP_AUTH', { USERNAME: 'a@example.com', SRP_A: 'abc' }, 'USER_SRP_AUTH is not enabled for the client.'],
    ['USER_PASSWORD_AUTH', { USERNAME: 'a@example.com', PASSWORD: 'x' }, 'USER_PASSWORD_AUTH flow not enabled for this client'],
    ['CUSTOM_AUTH', { USERNAME: 'a@example.com', SRP_A: 'abc' }, 'USER_SRP_AUTH is not enabled for the client.'],
    ['ADMIN_USER_PASSWORD_AUTH', { USERNAME: 'a@example.com', PASSWORD: 'x' }, 'Initiate Auth method not supported.'],
  ] as const)('refuses %s with %j as the client does not allow it', async (flow, parameters, message) => {
    await expect(
      pool.client.send(new InitiateAuthCommand({ ClientId: CLIENT_ID, AuthFlow: flow, AuthParameters: parameters })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message });
  });

  test('runs a second, independent sign-in for the same user', async () => {
    await signUpAndConfirm(pool, 'twice@example.com');
    const one = await signIn(pool, 'twice@example.com');
    const two = await signIn(pool, 'twice@example.com');
    expect(two.RefreshToken).not.toBe(one.RefreshToken);
  });
});

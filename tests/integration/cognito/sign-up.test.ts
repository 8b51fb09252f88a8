import { ConfirmSignUpCommand, ResendConfirmationCodeCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CODE_THROTTLE_WINDOW_MS } from '../../../local/cognito/code-throttle';
import { CLIENT_ID, PASSWORD, latestCode, startTestPool, type TestPool } from './harness';

let pool: TestPool;
beforeEach(async () => {
  pool = await startTestPool();
});
afterEach(async () => {
  await pool.stop();
});

const signUp = (username: string, password = PASSWORD, attributes = [{ Name: 'email', Value: username }]) =>
  pool.client.send(new SignUpCommand({ ClientId: CLIENT_ID, Username: username, Password: password, UserAttributes: attributes }));
const confirm = (username: string, code: string) =>
  pool.client.send(new ConfirmSignUpCommand({ ClientId: CLIENT_ID, Username: username, ConfirmationCode: code }));

describe('sign-up and confirmation', () => {
  test('signs up an unconfirmed user with a generated sub and mails a 6-digit code', async () => {
    const result = await signUp('Ada@Example.com');
    expect(result.UserConfirmed).toBe(false);
    expect(result.UserSub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(result.CodeDeliveryDetails).toEqual({ Destination: 'a***@e***.com', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    expect(latestCode(pool, 'ada@example.com')).toMatch(/^\d{6}$/);
  });

  test('prints each mailed code on one console line', async () => {
    await signUp('line@example.com');
    expect(pool.consoleLines).toEqual([
      `[mailbox] to=line@example.com subject="Your verification code" code=${latestCode(pool, 'line@example.com')}`,
    ]);
  });

  test('confirms a user with the mailed code', async () => {
    await signUp('grace@example.com');
    await expect(confirm('grace@example.com', latestCode(pool, 'grace@example.com'))).resolves.toBeDefined();
    await expect(confirm('grace@example.com', '000000')).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'User cannot be confirmed. Current status is CONFIRMED',
    });
  });

  test('rejects a wrong code with CodeMismatchException', async () => {
    await signUp('wrong@example.com');
    const wrong = latestCode(pool, 'wrong@example.com') === '123456' ? '654321' : '123456';
    await expect(confirm('wrong@example.com', wrong)).rejects.toMatchObject({
      name: 'CodeMismatchException',
      message: 'Invalid verification code provided, please try again.',
    });
  });

  test('rejects a code older than 24 hours with ExpiredCodeException', async () => {
    await signUp('late@example.com');
    const code = latestCode(pool, 'late@example.com');
    pool.advance(24 * 60 * 60 * 1000 + 1000);
    await expect(confirm('late@example.com', code)).rejects.toMatchObject({ name: 'ExpiredCodeException' });
  });

  test('resends a new code that replaces the old one', async () => {
    await signUp('again@example.com');
    const first = latestCode(pool, 'again@example.com');
    const resent = await pool.client.send(new ResendConfirmationCodeCommand({ ClientId: CLIENT_ID, Username: 'again@example.com' }));
    expect(resent.CodeDeliveryDetails?.DeliveryMedium).toBe('EMAIL');
    const second = latestCode(pool, 'again@example.com');
    expect(pool.emulator.mailbox.to('again@example.com')).toHaveLength(2);
    if (first !== second) await expect(confirm('again@example.com', first)).rejects.toMatchObject({ name: 'CodeMismatchException' });
    await expect(confirm('again@example.com', second)).resolves.toBeDefined();
  });

  test('refuses a second account for the same email, whatever its case', async () => {
    await signUp('twice@example.com');
    await expect(signUp('TWICE@example.com')).rejects.toMatchObject({
      name: 'UsernameExistsException',
      message: 'An account with the given email already exists.',
    });
  });

  test('refuses a username that is not an email', async () => {
    await expect(signUp('not-an-email', PASSWORD, [])).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Username should be an email.',
    });
  });

  test.each([
    ['an address of 129 characters', `${'a'.repeat(117)}@example.com`],
    // The email pattern's time grows with the square of such a name's length: seconds of a blocked event loop.
    ['a quarter-megabyte name made to slow the email pattern', `a@${'a.'.repeat(120_000)}@`],
  ])("refuses %s, over Cognito's 128-character limit on Username, before any pattern is tried", async (_case, username) => {
    await expect(signUp(username, PASSWORD, [])).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/at 'username' failed to satisfy constraint: Member must have length less than or equal to 128/),
    });
  });

  test.each([
    ['short', 'Aa1!', 'Password not long enough'],
    ['no uppercase', 'aa1!aaaaaa', 'Password must have uppercase characters'],
    ['no lowercase', 'AA1!AAAAAA', 'Password must have lowercase characters'],
    ['no digit', 'Aa!aaaaaaa', 'Password must have numeric characters'],
    ['no symbol', 'Aa1aaaaaaa', 'Password must have symbol characters'],
  ])('refuses a password with %s against the policy', async (_, password, reason) => {
    await expect(signUp('policy@example.com', password)).rejects.toMatchObject({
      name: 'InvalidPasswordException',
      message: `Password did not conform with policy: ${reason}`,
    });
  });

  test('refuses attributes outside the schema and writes to email_verified', async () => {
    await expect(signUp('attr@example.com', PASSWORD, [{ Name: 'nickname', Value: 'x' }])).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(signUp('attr@example.com', PASSWORD, [{ Name: 'email_verified', Value: 'true' }])).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
  });

  test('refuses an unknown client id with ResourceNotFoundException', async () => {
    await expect(
      pool.client.send(new SignUpCommand({ ClientId: 'nope', Username: 'x@example.com', Password: PASSWORD })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'User pool client nope does not exist.' });
  });

  test('hides whether a user exists when confirming or resending for an unknown name', async () => {
    await expect(confirm('ghost@example.com', '123456')).rejects.toMatchObject({ name: 'CodeMismatchException' });
    const resent = await pool.client.send(new ResendConfirmationCodeCommand({ ClientId: CLIENT_ID, Username: 'ghost@example.com' }));
    expect(resent.CodeDeliveryDetails).toEqual({ Destination: 'g***@e***.com', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    expect(pool.emulator.mailbox.to('ghost@example.com')).toEqual([]);
  });
});

describe('sign-up code throttling', () => {
  const resend = (username: string) => pool.client.send(new ResendConfirmationCodeCommand({ ClientId: CLIENT_ID, Username: username }));
  const limitExceeded = { name: 'LimitExceededException', message: 'Attempt limit exceeded, please try after some time.' };
  const otherThan = (code: string) => (code === '111111' ? '222222' : '111111');

  async function guessFiveTimes(email: string) {
    const wrong = otherThan(latestCode(pool, email));
    for (let i = 0; i < 4; i++) await expect(confirm(email, wrong)).rejects.toMatchObject({ name: 'CodeMismatchException' });
    await expect(confirm(email, wrong)).rejects.toMatchObject(limitExceeded);
  }

  test('answers the fifth wrong code with LimitExceededException and then refuses even the right code', async () => {
    await signUp('guess@example.com');
    const code = latestCode(pool, 'guess@example.com');
    await guessFiveTimes('guess@example.com');
    await expect(confirm('guess@example.com', code)).rejects.toMatchObject(limitExceeded);
  });

  test('keeps the lock when a new code is sent within the window', async () => {
    await signUp('reset@example.com');
    await guessFiveTimes('reset@example.com');
    await resend('reset@example.com');
    await expect(confirm('reset@example.com', latestCode(pool, 'reset@example.com'))).rejects.toMatchObject(limitExceeded);
  });

  test('counts wrong codes across resends within the window', async () => {
    await signUp('spread@example.com');
    const wrong = otherThan(latestCode(pool, 'spread@example.com'));
    for (let i = 0; i < 3; i++) await expect(confirm('spread@example.com', wrong)).rejects.toMatchObject({ name: 'CodeMismatchException' });
    await resend('spread@example.com');
    const next = otherThan(latestCode(pool, 'spread@example.com'));
    await expect(confirm('spread@example.com', next)).rejects.toMatchObject({ name: 'CodeMismatchException' });
    await expect(confirm('spread@example.com', next)).rejects.toMatchObject(limitExceeded);
  });

  test('lifts the lock after the window, with the guessed-at code void', async () => {
    await signUp('later@example.com');
    const code = latestCode(pool, 'later@example.com');
    await guessFiveTimes('later@example.com');
    pool.advance(CODE_THROTTLE_WINDOW_MS + 1000);
    await expect(confirm('later@example.com', code)).rejects.toMatchObject({ name: 'ExpiredCodeException' });
    await resend('later@example.com');
    await expect(confirm('later@example.com', latestCode(pool, 'later@example.com'))).resolves.toBeDefined();
  });

  test('refuses a sixth resend within the window with LimitExceededException', async () => {
    await signUp('resend@example.com');
    for (let i = 0; i < 5; i++) await resend('resend@example.com');
    await expect(resend('resend@example.com')).rejects.toMatchObject(limitExceeded);
    expect(pool.emulator.mailbox.to('resend@example.com')).toHaveLength(6);
  });

  test('throttles a name that matches nobody exactly as a real user', async () => {
    const wrong = '123456';
    for (let i = 0; i < 4; i++) await expect(confirm('ghost@example.com', wrong)).rejects.toMatchObject({ name: 'CodeMismatchException' });
    await expect(confirm('ghost@example.com', wrong)).rejects.toMatchObject(limitExceeded);
    for (let i = 0; i < 5; i++) await resend('ghost@example.com');
    await expect(resend('ghost@example.com')).rejects.toMatchObject(limitExceeded);
  });
});

describe('sign-up with user existence errors shown', () => {
  test('reports an unknown user on confirmation with UserNotFoundException', async () => {
    const legacy = await startTestPool({ userPool: { preventUserExistenceErrors: false } });
    try {
      await expect(
        legacy.client.send(new ConfirmSignUpCommand({ ClientId: CLIENT_ID, Username: 'ghost@example.com', ConfirmationCode: '123456' })),
      ).rejects.toMatchObject({ name: 'UserNotFoundException' });
    } finally {
      await legacy.stop();
    }
  });
});

import { AdminGetUserCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CLIENT_ID, PASSWORD, POOL_ID, REGION, signIn, startTestPool, type TestPool } from './harness';

let pool: TestPool;
afterEach(async () => {
  await pool.stop();
});

const signUp = (
  email: string,
  extra: { ValidationData?: Array<{ Name: string; Value: string }>; ClientMetadata?: Record<string, string> } = {},
) =>
  pool.client.send(
    new SignUpCommand({
      ClientId: CLIENT_ID,
      Username: email,
      Password: PASSWORD,
      UserAttributes: [{ Name: 'email', Value: email }],
      ...extra,
    }),
  );
const adminGetUser = (email: string) => pool.client.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: email }));
const emailVerified = async (email: string) =>
  (await adminGetUser(email)).UserAttributes?.find((attribute) => attribute.Name === 'email_verified')?.Value;

describe('the PreSignUp trigger', () => {
  beforeEach(async () => {
    pool = await startTestPool({
      configuredTriggers: ['PreSignUp', 'DefineAuthChallenge', 'CreateAuthChallenge', 'VerifyAuthChallengeResponse'],
    });
  });

  test("gets Cognito's PreSignUp_SignUp event with the attributes, validation data and client metadata", async () => {
    const { UserSub } = await signUp('ada@example.com', {
      ValidationData: [{ Name: 'captcha', Value: 'ok' }],
      ClientMetadata: { screen: 'sign-up' },
    });
    expect(pool.calls).toEqual([
      {
        trigger: 'PreSignUp',
        event: {
          version: '1',
          region: REGION,
          userPoolId: POOL_ID,
          userName: UserSub,
          callerContext: { awsSdkVersion: expect.stringMatching(/^aws-sdk-js-\d+\.\d+\.\d+$/), clientId: CLIENT_ID },
          triggerSource: 'PreSignUp_SignUp',
          request: {
            userAttributes: { email: 'ada@example.com' },
            validationData: { captcha: 'ok' },
            clientMetadata: { screen: 'sign-up' },
          },
          response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
        },
      },
    ]);
  });

  test('sends null validation data and no client metadata when the caller sent none', async () => {
    await signUp('plain@example.com');
    expect(pool.calls[0]?.event.request).toEqual({ userAttributes: { email: 'plain@example.com' }, validationData: null });
  });

  test('confirms the user and mails no code when the trigger answers autoConfirmUser', async () => {
    pool.handlers.PreSignUp = async (event) => ({
      ...event,
      response: { autoConfirmUser: true, autoVerifyEmail: false, autoVerifyPhone: false },
    });
    const result = await signUp('auto@example.com');
    expect(result.UserConfirmed).toBe(true);
    expect(result.CodeDeliveryDetails).toBeUndefined();
    expect(pool.emulator.mailbox.to('auto@example.com')).toEqual([]);
    expect((await adminGetUser('auto@example.com')).UserStatus).toBe('CONFIRMED');
    expect(await emailVerified('auto@example.com')).toBe('false');
    await expect(signIn(pool, 'auto@example.com')).resolves.toHaveProperty('IdToken');
  });

  test('marks the email verified when the trigger answers autoVerifyEmail', async () => {
    pool.handlers.PreSignUp = async (event) => ({ ...event, response: { autoConfirmUser: true, autoVerifyEmail: true } });
    await signUp('verified@example.com');
    expect(await emailVerified('verified@example.com')).toBe('true');
  });

  test('leaves the user unconfirmed and mails a code when the trigger confirms nothing', async () => {
    const result = await signUp('manual@example.com');
    expect(result.UserConfirmed).toBe(false);
    expect(pool.emulator.mailbox.to('manual@example.com')).toHaveLength(1);
  });

  test('answers UserLambdaValidationException with the thrown message and creates no user', async () => {
    pool.handlers.PreSignUp = async () => {
      throw new Error('sign-ups are closed');
    };
    await expect(signUp('refused@example.com')).rejects.toMatchObject({
      name: 'UserLambdaValidationException',
      message: 'PreSignUp failed with error sign-ups are closed.',
    });
    await expect(adminGetUser('refused@example.com')).rejects.toMatchObject({ name: 'UserNotFoundException' });
    expect(pool.emulator.mailbox.to('refused@example.com')).toEqual([]);
  });

  test('answers InvalidLambdaResponseException for a flag that is not a boolean, and creates no user', async () => {
    pool.handlers.PreSignUp = async (event) => ({ ...event, response: { autoConfirmUser: 'yes' } });
    await expect(signUp('odd@example.com')).rejects.toMatchObject({
      name: 'InvalidLambdaResponseException',
      message: 'Unrecognizable lambda output',
    });
    await expect(adminGetUser('odd@example.com')).rejects.toMatchObject({ name: 'UserNotFoundException' });
  });
});

describe('a pool without a PreSignUp trigger', () => {
  test('never calls one and mails a confirmation code', async () => {
    pool = await startTestPool();
    pool.handlers.PreSignUp = async () => {
      throw new Error('must not be called');
    };
    const result = await signUp('classic@example.com');
    expect(result.UserConfirmed).toBe(false);
    expect(pool.calls).toEqual([]);
    expect(pool.emulator.mailbox.to('classic@example.com')).toHaveLength(1);
  });
});

import { makeHandler } from '../../functions/pre-sign-up/handler';
import { awsCallNames, resetAwsMocks } from './support/aws-mocks';
import { preSignUpEvent } from './support/events';

const handler = makeHandler();

beforeEach(resetAwsMocks);

describe('pre sign-up', () => {
  test('confirms a new user at once, so sign-up sends no confirmation code', async () => {
    const { response } = await handler(preSignUpEvent('sign-up'));
    expect(response.autoConfirmUser).toBe(true);
  });

  test('leaves the email unverified: only the sign-in email code proves it', async () => {
    const { response } = await handler(preSignUpEvent('sign-up'));
    expect(response).toMatchObject({ autoVerifyEmail: false, autoVerifyPhone: false });
  });

  test('looks nothing up and writes nothing', async () => {
    await handler(preSignUpEvent('sign-up'));
    expect(awsCallNames()).toEqual([]);
  });

  test('refuses a sign-up through an external identity provider with the fixed refusal', async () => {
    await expect(handler(preSignUpEvent('external-provider'))).rejects.toThrow(/^Request refused\.$/);
  });

  test('refuses a sign-up without an email address', async () => {
    const event = preSignUpEvent('sign-up');
    event.request.userAttributes = {};
    await expect(handler(event)).rejects.toThrow(/^Request refused\.$/);
  });

  test('confirms nobody on an admin-created user (PreSignUp_AdminCreateUser): the admin decides', async () => {
    const event = preSignUpEvent('sign-up');
    event.triggerSource = 'PreSignUp_AdminCreateUser';
    expect((await handler(event)).response.autoConfirmUser).toBe(false);
  });
});

/** The app's own auth library, aws-amplify v6, against the emulator: the calls and shapes it really sends. */
import { Amplify } from 'aws-amplify';
import { confirmSignIn, confirmSignUp, fetchAuthSession, getCurrentUser, signIn, signOut, signUp } from 'aws-amplify/auth';
import { CLIENT_ID, PASSWORD, POOL_ID, latestCode, startTestPool, type TestPool } from './harness';

let pool: TestPool;
beforeAll(async () => {
  pool = await startTestPool();
  Amplify.configure({ Auth: { Cognito: { userPoolId: POOL_ID, userPoolClientId: CLIENT_ID, userPoolEndpoint: pool.emulator.endpoint } } });
});
afterAll(async () => {
  await pool.stop();
  // Amplify looks for a web framework again 1 s after its first call, on a timer it keeps referenced; once that has
  // run, nothing of the suite is left to hold its Jest worker open.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
});

test('amplify signs up, confirms, signs in with custom auth, refreshes and signs out globally', async () => {
  const email = 'amplify@example.com';
  const registered = await signUp({ username: email, password: PASSWORD, options: { userAttributes: { email } } });
  expect(registered.nextStep.signUpStep).toBe('CONFIRM_SIGN_UP');
  expect((await confirmSignUp({ username: email, confirmationCode: latestCode(pool, email) })).isSignUpComplete).toBe(true);

  const started = await signIn({ username: email, options: { authFlowType: 'CUSTOM_WITHOUT_SRP' } });
  expect(started.nextStep.signInStep).toBe('CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE');
  const enrollStep = started.nextStep as { additionalInfo: Record<string, string> };
  expect(enrollStep.additionalInfo.step).toBe('ENROLL');
  const faceStep = await confirmSignIn({
    challengeResponse: enrollStep.additionalInfo.hint!,
    options: { clientMetadata: { from: 'amplify' } },
  });
  const faceInfo = (faceStep.nextStep as { additionalInfo: Record<string, string> }).additionalInfo;
  expect(faceInfo.step).toBe('FACE');
  expect((await confirmSignIn({ challengeResponse: faceInfo.hint! })).isSignedIn).toBe(true);
  expect(pool.calls.find((c) => c.trigger === 'VerifyAuthChallengeResponse')?.event.request.clientMetadata).toEqual({ from: 'amplify' });

  const user = await getCurrentUser();
  expect(user.signInDetails?.loginId).toBe(email);
  const refreshed = await fetchAuthSession({ forceRefresh: true });
  expect(refreshed.tokens?.idToken?.payload.email).toBe(email);
  expect(refreshed.tokens?.idToken?.payload.sub).toBe(user.userId);

  await signOut({ global: true });
  await expect(getCurrentUser()).rejects.toMatchObject({ name: 'UserUnAuthenticatedException' });
});

import { CLIENT_ID, POOL_ID, REGION, answer, signUpAndConfirm, startCustomAuth, startTestPool, type TestPool } from './harness';

let pool: TestPool;
afterEach(async () => {
  await pool.stop();
});

describe('trigger events', () => {
  beforeEach(async () => {
    pool = await startTestPool();
  });

  test("sends Define, then Create, with Cognito's event shape when a sign-in starts", async () => {
    const sub = await signUpAndConfirm(pool, 'ada@example.com');
    await startCustomAuth(pool, 'ada@example.com', { ignored: 'by Cognito on InitiateAuth' });
    const [define, create] = pool.calls;
    const common = {
      version: '1',
      region: REGION,
      userPoolId: POOL_ID,
      userName: sub,
      callerContext: { awsSdkVersion: expect.stringMatching(/^aws-sdk-js-\d+\.\d+\.\d+$/), clientId: CLIENT_ID },
    };
    const userAttributes = { sub, email_verified: 'true', 'cognito:user_status': 'CONFIRMED', email: 'ada@example.com' };
    expect(define).toEqual({
      trigger: 'DefineAuthChallenge',
      event: {
        ...common,
        triggerSource: 'DefineAuthChallenge_Authentication',
        request: { userAttributes, session: [], userNotFound: false },
        response: { challengeName: null, issueTokens: null, failAuthentication: null },
      },
    });
    expect(create).toEqual({
      trigger: 'CreateAuthChallenge',
      event: {
        ...common,
        triggerSource: 'CreateAuthChallenge_Authentication',
        request: { userAttributes, challengeName: 'CUSTOM_CHALLENGE', session: [], userNotFound: false },
        response: { publicChallengeParameters: null, privateChallengeParameters: null, challengeMetadata: null },
      },
    });
    expect(pool.calls).toHaveLength(2);
  });

  test('sends Verify the private parameters and the answer, then Define and Create the session history', async () => {
    await signUpAndConfirm(pool, 'grace@example.com');
    const first = await startCustomAuth(pool, 'grace@example.com');
    pool.calls.length = 0;
    await answer(pool, 'grace@example.com', first.Session!, 'wrong', { screen: 'login' });
    const [verify, define, create] = pool.calls;
    expect(verify?.event.triggerSource).toBe('VerifyAuthChallengeResponse_Authentication');
    expect(verify?.event.request).toEqual({
      userAttributes: expect.objectContaining({ email: 'grace@example.com' }),
      privateChallengeParameters: { answer: first.ChallengeParameters!.hint },
      challengeAnswer: 'wrong',
      clientMetadata: { screen: 'login' },
      userNotFound: false,
    });
    expect(verify?.event.response).toEqual({ answerCorrect: null });
    const history = [{ challengeName: 'CUSTOM_CHALLENGE', challengeResult: false, challengeMetadata: 'ENROLL' }];
    expect(define?.event.request).toMatchObject({ session: history, clientMetadata: { screen: 'login' } });
    expect(create?.event.request).toMatchObject({
      session: history,
      challengeName: 'CUSTOM_CHALLENGE',
      clientMetadata: { screen: 'login' },
    });
  });

  test("passes InitiateAuth's ClientMetadata to no auth challenge trigger, as Cognito does", async () => {
    await signUpAndConfirm(pool, 'meta@example.com');
    await startCustomAuth(pool, 'meta@example.com', { source: 'initiate' });
    for (const call of pool.calls) expect(call.event.request).not.toHaveProperty('clientMetadata');
  });

  test("grows the session history one entry per answer, in order, with each challenge's metadata", async () => {
    await signUpAndConfirm(pool, 'steps@example.com');
    let step = await startCustomAuth(pool, 'steps@example.com');
    step = await answer(pool, 'steps@example.com', step.Session!, 'wrong');
    step = await answer(pool, 'steps@example.com', step.Session!, step.ChallengeParameters!.hint!);
    await answer(pool, 'steps@example.com', step.Session!, step.ChallengeParameters!.hint!);
    const lastDefine = pool.calls.filter((c) => c.trigger === 'DefineAuthChallenge').at(-1);
    expect(lastDefine?.event.request.session).toEqual([
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: false, challengeMetadata: 'ENROLL' },
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'ENROLL' },
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'FACE' },
    ]);
  });

  test('records null challengeMetadata when Create sets none', async () => {
    pool.handlers.CreateAuthChallenge = async (event) => {
      event.response = { publicChallengeParameters: { step: 'X' }, privateChallengeParameters: { answer: 'a' } };
      return event;
    };
    await signUpAndConfirm(pool, 'nometa@example.com');
    const first = await startCustomAuth(pool, 'nometa@example.com');
    await answer(pool, 'nometa@example.com', first.Session!, 'b');
    const lastDefine = pool.calls.filter((c) => c.trigger === 'DefineAuthChallenge').at(-1);
    expect(lastDefine?.event.request.session).toEqual([
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: false, challengeMetadata: null },
    ]);
  });

  test('marks a name that matched nobody with userNotFound and no user attributes', async () => {
    const ghost = await startCustomAuth(pool, 'ghost@example.com');
    await answer(pool, 'ghost@example.com', ghost.Session!, 'guess');
    for (const call of pool.calls) {
      expect(call.event.userName).toBe(ghost.ChallengeParameters!.USERNAME);
      expect(call.event.request.userNotFound).toBe(true);
      expect(call.event.request.userAttributes).toEqual({});
    }
    expect(pool.calls.map((c) => c.trigger)).toEqual([
      'DefineAuthChallenge',
      'CreateAuthChallenge',
      'VerifyAuthChallengeResponse',
      'DefineAuthChallenge',
      'CreateAuthChallenge',
    ]);
  });
});

describe('trigger events without existence-error prevention', () => {
  test('leaves userNotFound out of the request', async () => {
    pool = await startTestPool({ userPool: { preventUserExistenceErrors: false } });
    await signUpAndConfirm(pool, 'legacy@example.com');
    await startCustomAuth(pool, 'legacy@example.com');
    for (const call of pool.calls) expect(call.event.request).not.toHaveProperty('userNotFound');
  });
});

describe('trigger failures', () => {
  beforeEach(async () => {
    pool = await startTestPool({ triggerTimeoutMs: 300 });
  });

  const callsOf = (trigger: string) => pool.calls.filter((call) => call.trigger === trigger);

  test('answers UnexpectedLambdaException after three attempts that all outlast the time limit', async () => {
    pool.handlers.DefineAuthChallenge = (event) => new Promise((resolve) => setTimeout(() => resolve(event), 1500));
    await signUpAndConfirm(pool, 'slow@example.com');
    await expect(startCustomAuth(pool, 'slow@example.com')).rejects.toMatchObject({
      name: 'UnexpectedLambdaException',
      message: 'DefineAuthChallenge invocation failed due to error Socket timeout while invoking Lambda function.',
    });
    expect(callsOf('DefineAuthChallenge')).toHaveLength(3);
  });

  test("calls a trigger that did not answer in time again, and goes on with the retry's answer", async () => {
    const answerOnTime = pool.handlers.DefineAuthChallenge;
    let calls = 0;
    pool.handlers.DefineAuthChallenge = (event) => {
      calls += 1;
      return calls === 1 ? new Promise((resolve) => setTimeout(() => resolve(event), 1500)) : answerOnTime(event);
    };
    await signUpAndConfirm(pool, 'cold@example.com');
    const started = await startCustomAuth(pool, 'cold@example.com');
    expect(started.ChallengeName).toBe('CUSTOM_CHALLENGE');
    const [first, second] = callsOf('DefineAuthChallenge');
    expect(second?.event).toEqual(first?.event);
    expect(callsOf('DefineAuthChallenge')).toHaveLength(2);
  });

  test('does not call a trigger that threw again', async () => {
    pool.handlers.DefineAuthChallenge = async () => {
      throw new Error('boom');
    };
    await signUpAndConfirm(pool, 'once@example.com');
    await expect(startCustomAuth(pool, 'once@example.com')).rejects.toMatchObject({ name: 'UserLambdaValidationException' });
    expect(callsOf('DefineAuthChallenge')).toHaveLength(1);
  });

  test('answers UserLambdaValidationException with the error of a trigger that throws', async () => {
    pool.handlers.CreateAuthChallenge = async () => {
      throw new Error('table not found');
    };
    await signUpAndConfirm(pool, 'throws@example.com');
    await expect(startCustomAuth(pool, 'throws@example.com')).rejects.toMatchObject({
      name: 'UserLambdaValidationException',
      message: 'CreateAuthChallenge failed with error table not found.',
    });
  });

  test.each([
    ['Verify without answerCorrect', 'VerifyAuthChallengeResponse', { answerCorrect: 'yes' }],
    ['Create with a number parameter', 'CreateAuthChallenge', { publicChallengeParameters: { n: 1 }, privateChallengeParameters: {} }],
    ['Define with no decision and no challenge', 'DefineAuthChallenge', { issueTokens: false, failAuthentication: false }],
    ['Define asking for SRP', 'DefineAuthChallenge', { challengeName: 'SRP_A', issueTokens: false, failAuthentication: false }],
  ] as const)('answers InvalidLambdaResponseException for %s', async (_, trigger, response) => {
    pool.handlers[trigger] = async (event) => ({ ...event, response });
    await signUpAndConfirm(pool, 'broken@example.com');
    // Define and Create run on InitiateAuth; Verify only once an answer comes.
    const started =
      trigger === 'VerifyAuthChallengeResponse'
        ? startCustomAuth(pool, 'broken@example.com').then((first) => answer(pool, 'broken@example.com', first.Session!, 'x'))
        : startCustomAuth(pool, 'broken@example.com');
    await expect(started).rejects.toMatchObject({ name: 'InvalidLambdaResponseException', message: 'Unrecognizable lambda output' });
  });

  test('answers InvalidLambdaResponseException when a trigger returns no event', async () => {
    pool.handlers.DefineAuthChallenge = async () => ({});
    await signUpAndConfirm(pool, 'empty@example.com');
    await expect(startCustomAuth(pool, 'empty@example.com')).rejects.toMatchObject({ name: 'InvalidLambdaResponseException' });
  });
});

import './support/env';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { handler } from '../../functions/define-auth-challenge/handler';
import { dynamoMock, receivedInputs, resetAwsMocks, awsCallNames } from './support/aws-mocks';
import { defineEvent } from './support/events';

type SessionEntry = DefineAuthChallengeTriggerEvent['request']['session'][number];
const entry = (challengeMetadata: string, challengeResult: boolean, challengeName = 'CUSTOM_CHALLENGE'): SessionEntry =>
  ({ challengeName, challengeResult, challengeMetadata }) as SessionEntry;
const enrolled = entry('ENROLL_ID_PHOTO', true);
const livenessPassed = entry('FACE_LIVENESS', true);
const livenessFailed = entry('FACE_LIVENESS', false);

function withSession(session: SessionEntry[], name = 'first-sign-in'): DefineAuthChallengeTriggerEvent {
  const event = defineEvent(name);
  event.request.session = session;
  return event;
}

const challenge = { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false };
const tokens = { challengeName: '', issueTokens: true, failAuthentication: false };
const failure = { challengeName: '', issueTokens: false, failAuthentication: true };

const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeEach(() => {
  resetAwsMocks();
  dynamoMock.on(GetCommand).resolves({});
});

describe('define auth challenge', () => {
  test('starts a first sign-in with a custom challenge', async () => {
    expect((await handler(defineEvent('first-sign-in'))).response).toEqual(challenge);
  });

  test('asks for the liveness step after an accepted enrolment instead of issuing tokens', async () => {
    expect((await handler(defineEvent('after-enrollment'))).response).toEqual(challenge);
  });

  test('issues tokens right after a correct liveness answer', async () => {
    expect((await handler(defineEvent('after-liveness'))).response).toEqual(tokens);
  });

  test('issues tokens to an enrolled user who passes liveness without enrolling in this session', async () => {
    expect((await handler(withSession([livenessPassed]))).response).toEqual(tokens);
  });

  test('offers another try after a wrong answer', async () => {
    expect((await handler(defineEvent('after-wrong-answer'))).response).toEqual(challenge);
  });

  test('offers another try after two wrong answers', async () => {
    expect((await handler(withSession([livenessFailed, livenessFailed]))).response).toEqual(challenge);
  });

  test('ends the session at the third wrong answer, so there is no fourth', async () => {
    expect((await handler(withSession([livenessFailed, livenessFailed, livenessFailed]))).response).toEqual(failure);
  });

  test('counts wrong enrolment answers toward the limit', async () => {
    const wrongEnrollment = entry('ENROLL_ID_PHOTO', false);
    expect((await handler(withSession([wrongEnrollment, wrongEnrollment, livenessFailed]))).response).toEqual(failure);
  });

  test('never issues tokens for a client that skips the liveness step', async () => {
    const response = (await handler(withSession([enrolled]))).response;
    expect(response.issueTokens).toBe(false);
  });

  test('fails a session that answers the enrolment step twice', async () => {
    expect((await handler(withSession([enrolled, enrolled]))).response).toEqual(failure);
  });

  test('fails a session that returns to enrolment after liveness started', async () => {
    expect((await handler(withSession([livenessFailed, entry('ENROLL_ID_PHOTO', true)]))).response).toEqual(failure);
  });

  test('fails a session that continues after a passed liveness check', async () => {
    expect((await handler(withSession([livenessPassed, livenessPassed]))).response).toEqual(failure);
  });

  test.each(['SRP_A', 'PASSWORD_VERIFIER'])('fails a session that contains %s', async (challengeName) => {
    expect((await handler(withSession([entry('', true, challengeName), livenessPassed]))).response).toEqual(failure);
  });

  test('fails a session with a step our triggers never issue', async () => {
    expect((await handler(withSession([entry('ISSUE_TOKENS', true)]))).response).toEqual(failure);
  });

  test('fails a user in lockout even after a correct liveness answer', async () => {
    dynamoMock.on(GetCommand).resolves({ Item: { lockedUntil: nowSeconds() + 600 } });
    expect((await handler(defineEvent('after-liveness'))).response).toEqual(failure);
  });

  test('looks the lockout up under the user and its consistent value', async () => {
    await handler(defineEvent('first-sign-in'));
    expect(receivedInputs(dynamoMock, GetCommand)).toContainEqual(expect.objectContaining({
      Key: { pk: `USER#${defineEvent('first-sign-in').request.userAttributes.sub}`, sk: 'LOCKOUT' },
      ConsistentRead: true,
    }));
  });

  test('lets a user whose lockout has ended sign in', async () => {
    dynamoMock.on(GetCommand).resolves({ Item: { lockedUntil: nowSeconds() - 1 } });
    expect((await handler(defineEvent('after-liveness'))).response).toEqual(tokens);
  });

  test('gives an unknown user the same first response as a real user, without looking anything up', async () => {
    expect((await handler(defineEvent('user-not-found'))).response).toEqual(challenge);
    expect(awsCallNames()).toEqual([]);
  });

  test('never issues tokens to an unknown user, whatever the session claims', async () => {
    const event = withSession([livenessPassed], 'user-not-found');
    expect((await handler(event)).response).toEqual(challenge);
  });

  test('ends an unknown user\'s session at the third wrong answer, as for a real user', async () => {
    const event = withSession([livenessFailed, livenessFailed, livenessFailed], 'user-not-found');
    expect((await handler(event)).response).toEqual(failure);
  });

  test('fails a user record without a sub', async () => {
    const event = defineEvent('after-liveness');
    delete (event.request.userAttributes as Record<string, string>).sub;
    expect((await handler(event)).response).toEqual(failure);
  });
});

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { makeHandler } from '../../functions/define-auth-challenge/handler';
import {
  arrangeEmptyTable,
  dynamoMock,
  nowSeconds,
  receivedInputs,
  resetAwsMocks,
  serviceError,
  storeItem,
  writeCallNames,
} from './support/aws-mocks';
import { defineEvent, SUB, UNKNOWN_PSEUDO_SUB } from './support/events';
import { testParts } from './support/parts';

const handler = makeHandler(testParts());

type SessionEntry = DefineAuthChallengeTriggerEvent['request']['session'][number];
const entry = (challengeMetadata: string, challengeResult: boolean, challengeName = 'CUSTOM_CHALLENGE'): SessionEntry =>
  ({ challengeName, challengeResult, challengeMetadata }) as SessionEntry;
const codeProven = entry('EMAIL_CODE', true);
const wrongCode = entry('EMAIL_CODE', false);
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

const lock = (sub: string, lockedUntil = nowSeconds() + 600) => storeItem(`USER#${sub}`, 'LOCKOUT', { lockedUntil });

beforeEach(() => {
  resetAwsMocks();
  arrangeEmptyTable();
});

describe('define auth challenge: the sign-in steps', () => {
  test('starts a first sign-in with a custom challenge', async () => {
    expect((await handler(defineEvent('first-sign-in'))).response).toEqual(challenge);
  });

  test('asks for the next step after a correct email code', async () => {
    expect((await handler(defineEvent('after-email-code'))).response).toEqual(challenge);
  });

  test('asks for the liveness step after an accepted enrollment instead of issuing tokens', async () => {
    expect((await handler(defineEvent('after-enrollment'))).response).toEqual(challenge);
  });

  test('issues tokens right after a correct liveness answer', async () => {
    expect((await handler(defineEvent('after-liveness'))).response).toEqual(tokens);
  });

  test('issues tokens to an enrolled user who passes liveness without enrolling in this session', async () => {
    expect((await handler(withSession([livenessPassed]))).response).toEqual(tokens);
  });

  test('never issues tokens for a client that skips the liveness step', async () => {
    expect((await handler(withSession([codeProven, enrolled]))).response.issueTokens).toBe(false);
  });
});

describe('define auth challenge: wrong answers', () => {
  test('offers another try after a wrong answer', async () => {
    expect((await handler(defineEvent('after-wrong-answer'))).response).toEqual(challenge);
  });

  test('offers another try after two wrong answers', async () => {
    expect((await handler(withSession([livenessFailed, livenessFailed]))).response).toEqual(challenge);
  });

  test('ends the session at the third wrong answer, so there is no fourth', async () => {
    expect((await handler(withSession([livenessFailed, livenessFailed, livenessFailed]))).response).toEqual(failure);
  });

  test('counts wrong email codes toward the limit', async () => {
    expect((await handler(withSession([wrongCode, wrongCode, wrongCode]))).response).toEqual(failure);
  });

  test('counts wrong enrollment answers toward the limit', async () => {
    expect((await handler(withSession([codeProven, entry('ENROLL_ID_PHOTO', false), livenessFailed, livenessFailed]))).response).toEqual(
      failure,
    );
  });
});

describe('define auth challenge: sessions our triggers never produce', () => {
  test.each([
    ['an upload step without an email code before it', [enrolled]],
    ['an upload step after a wrong email code', [wrongCode, enrolled]],
    ['a second email code after a correct one', [codeProven, codeProven]],
    ['an email code after liveness started', [livenessFailed, wrongCode]],
    ['the upload step answered twice', [codeProven, enrolled, enrolled]],
    ['a return to the upload step after liveness started', [codeProven, livenessFailed, enrolled]],
    ['a step after a passed liveness check', [livenessPassed, livenessPassed]],
    ['a step our triggers never issue', [entry('ISSUE_TOKENS', true)]],
    ['an SRP_A challenge', [entry('', true, 'SRP_A'), livenessPassed]],
    ['a PASSWORD_VERIFIER challenge', [entry('', true, 'PASSWORD_VERIFIER'), livenessPassed]],
  ])('fails a session with %s', async (_case, session) => {
    expect((await handler(withSession(session))).response).toEqual(failure);
  });
});

describe('define auth challenge: lockout', () => {
  test('fails a locked user even after a correct liveness answer', async () => {
    lock(SUB);
    expect((await handler(defineEvent('after-liveness'))).response).toEqual(failure);
  });

  test('writes nothing while the user is locked', async () => {
    lock(SUB);
    await handler(defineEvent('first-sign-in'));
    expect(writeCallNames()).toEqual([]);
  });

  test('looks the lockout up under the user with a consistent read', async () => {
    await handler(defineEvent('first-sign-in'));
    expect(receivedInputs(dynamoMock, GetCommand)).toContainEqual(
      expect.objectContaining({ Key: { pk: `USER#${SUB}`, sk: 'LOCKOUT' }, ConsistentRead: true }),
    );
  });

  test('lets a user whose lockout has ended sign in', async () => {
    lock(SUB, nowSeconds() - 1);
    expect((await handler(defineEvent('after-liveness'))).response).toEqual(tokens);
  });
});

describe('define auth challenge: unknown usernames', () => {
  test('get the same first answer as a real user', async () => {
    expect((await handler(defineEvent('user-not-found'))).response).toEqual(challenge);
  });

  test('never get tokens, whatever the session claims', async () => {
    expect((await handler(withSession([livenessPassed], 'user-not-found'))).response).toEqual(challenge);
  });

  test('end the session at the third wrong answer, as a real user does', async () => {
    expect((await handler(withSession([livenessFailed, livenessFailed, livenessFailed], 'user-not-found'))).response).toEqual(failure);
  });

  test('are locked out under their pseudo-identity, as a real user is', async () => {
    lock(UNKNOWN_PSEUDO_SUB);
    expect((await handler(defineEvent('user-not-found'))).response).toEqual(failure);
  });
});

describe('define auth challenge: errors', () => {
  test('fails a user record without a sub', async () => {
    const event = defineEvent('after-liveness');
    delete (event.request.userAttributes as Record<string, string>).sub;
    expect((await handler(event)).response).toEqual(failure);
  });

  test('answers a failed lookup with the fixed error, never the SDK message', async () => {
    dynamoMock
      .on(GetCommand)
      .rejects(serviceError('ResourceNotFoundException', 'Requested resource not found: Table: face-login-table not found'));
    await expect(handler(defineEvent('first-sign-in'))).rejects.toThrow(/^Request failed\.$/);
  });
});

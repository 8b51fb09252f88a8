import { AdminDeleteUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { makeHandler } from '../../functions/account/handler';
import {
  arrangeEmptyTable,
  cognitoMock,
  dynamoMock,
  nowSeconds,
  putItems,
  serviceError,
  storeEnrollment,
  storeItem,
} from './support/aws-mocks';
import { accountEvent, OTHER_SUB, SUB } from './support/events';
import { FakeClock, NOW_MS, testParts, USER_POOL_ID } from './support/parts';
import { deletedFaceIds, resetEmptyTargets } from './support/purge-targets';

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;

const FRESH_MINUTES = 5;
const clock = new FakeClock();
const handler = makeHandler({ ...testParts({ clock, env: { FRESH_SIGN_IN_MINUTES: String(FRESH_MINUTES) } }), userPoolId: USER_POOL_ID });
const UPLOAD_ID = '9e2d4b6f-1a3c-4e5d-8f7a-0b1c2d3e4f5a';
const REFERENCE_KEY = `liveness/${SUB}/session-1/reference.jpg`;

async function call(name: string, change?: (event: Event) => void): Promise<APIGatewayProxyStructuredResultV2 & { json: unknown }> {
  const event = accountEvent(name);
  change?.(event);
  const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return { ...result, json: JSON.parse(String(result.body)) };
}

const claims = (event: Event) => event.requestContext.authorizer.jwt.claims;
/** The sample events carry an auth_time 60 s before the clock's time. */
const signedInAgo = (seconds: number) => (event: Event) => {
  claims(event).auth_time = String(nowSeconds() - seconds);
};
const faceCheckPassedAgo = (seconds: number) =>
  storeItem(`USER#${SUB}`, 'FACE_SIGN_IN', { sessionId: 'session-1', referenceKey: REFERENCE_KEY, passedAtMs: NOW_MS - seconds * 1000 });
const REFUSED = { statusCode: 403, json: { message: 'Request refused.' } };

beforeEach(() => {
  clock.set(NOW_MS);
  resetEmptyTargets();
  arrangeEmptyTable();
  cognitoMock.on(AdminDeleteUserCommand).resolves({});
});

describe('account API: replacing the ID photo', () => {
  beforeEach(() => {
    storeEnrollment(SUB, { state: 'CONFIRMED', faceId: 'face-old' });
    faceCheckPassedAgo(60);
  });

  test('issues a pinned upload to a user who signed in with their face within the window', async () => {
    const response = await call('replace-id-photo');
    expect(response.statusCode).toBe(200);
    const { uploadId, upload, maxBytes } = response.json as {
      uploadId: string;
      upload: { fields: Record<string, string> };
      maxBytes: number;
    };
    expect(upload.fields.key).toBe(`enrollment/${SUB}/${uploadId}.jpg`);
    expect(maxBytes).toBeGreaterThan(0);
    expect(putItems('ENROLLMENT#')[0]).toMatchObject({
      status: 'ISSUED',
      replacement: { referenceKey: REFERENCE_KEY, replacesFaceId: 'face-old' },
    });
  });

  test('refuses a token whose sign-in is older than the window, without issuing anything', async () => {
    expect(await call('replace-id-photo', signedInAgo(FRESH_MINUTES * 60 + 1))).toMatchObject(REFUSED);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  test('refuses when no face check passed within the window, even with a fresh token', async () => {
    faceCheckPassedAgo(FRESH_MINUTES * 60 + 1);
    expect(await call('replace-id-photo')).toMatchObject(REFUSED);
    expect(putItems('ENROLLMENT#')).toHaveLength(0);
  });

  test('refuses an ID token: only access tokens act on the account', async () => {
    expect(await call('replace-id-photo', (event) => (claims(event).token_use = 'id'))).toMatchObject(REFUSED);
  });

  test('refuses a user who is locked out', async () => {
    storeItem(`USER#${SUB}`, 'LOCKOUT', { lockedUntil: nowSeconds() + 600 });
    expect(await call('replace-id-photo')).toMatchObject(REFUSED);
    expect(putItems('ENROLLMENT#')).toHaveLength(0);
  });

  test('refuses a user whose enrollment is still provisional', async () => {
    storeEnrollment(SUB, { state: 'PROVISIONAL' });
    expect(await call('replace-id-photo')).toMatchObject(REFUSED);
  });
});

describe('account API: the status of a replacement', () => {
  const replacementRecord = (decision: Record<string, unknown>) =>
    storeItem(`USER#${SUB}`, `ENROLLMENT#enrollment/${SUB}/${UPLOAD_ID}.jpg`, {
      ...decision,
      replacement: { referenceKey: REFERENCE_KEY, replacesFaceId: 'face-old' },
    });

  test.each([
    [{ status: 'ISSUED' }, { status: 'PENDING' }],
    [
      { status: 'REJECTED', reason: 'NO_MATCH' },
      { status: 'REJECTED', reason: 'NO_MATCH' },
    ],
  ])('answers %j as %j', async (decision, expected) => {
    replacementRecord(decision);
    expect(await call('id-photo-status')).toMatchObject({ statusCode: 200, json: expected });
  });

  test('answers ACCEPTED once the accepted photo is the enrollment', async () => {
    replacementRecord({ status: 'ACCEPTED', faceId: 'face-new' });
    storeEnrollment(SUB, { state: 'CONFIRMED', faceId: 'face-new', key: `enrollment/${SUB}/${UPLOAD_ID}.jpg` });
    expect(await call('id-photo-status')).toMatchObject({ statusCode: 200, json: { status: 'ACCEPTED' } });
  });

  test('answers PENDING while the decision is written but the enrollment not yet swapped', async () => {
    replacementRecord({ status: 'ACCEPTED', faceId: 'face-new' });
    storeEnrollment(SUB, { state: 'CONFIRMED', faceId: 'face-old' });
    expect(await call('id-photo-status')).toMatchObject({ statusCode: 200, json: { status: 'PENDING' } });
  });

  test("never reads another user's upload: the key is built from the token's sub", async () => {
    storeItem(`USER#${OTHER_SUB}`, `ENROLLMENT#enrollment/${OTHER_SUB}/${UPLOAD_ID}.jpg`, {
      status: 'REJECTED',
      reason: 'NO_MATCH',
      replacement: { referenceKey: 'x', replacesFaceId: 'y' },
    });
    expect(await call('id-photo-status')).toMatchObject(REFUSED);
  });

  test('refuses an upload id that is not a UUID', async () => {
    const response = await call('id-photo-status', (event) => {
      event.pathParameters = { uploadId: '../../other' };
    });
    expect(response).toMatchObject(REFUSED);
  });
});

describe('account API: deleting the account', () => {
  test("deletes the user's faces, photos and items, then the Cognito user named by the token, and answers the counts", async () => {
    dynamoMock.on(PutCommand).resolves({});
    storeEnrollment(SUB, { state: 'CONFIRMED', faceId: 'face-old' });
    dynamoMock.on(QueryCommand).resolves({ Items: [{ pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT', faceId: 'face-old' }] });
    const response = await call('delete');
    expect(response).toMatchObject({ statusCode: 200, json: { deleted: { faces: 1, objects: 0, items: 1, user: true } } });
    expect(deletedFaceIds()).toEqual(['face-old']);
    expect(cognitoMock.commandCalls(AdminDeleteUserCommand)[0]?.args[0].input).toEqual({ UserPoolId: USER_POOL_ID, Username: SUB });
  });

  test('refuses a token whose sign-in is older than the window, and deletes nothing', async () => {
    expect(await call('delete', signedInAgo(FRESH_MINUTES * 60 + 1))).toMatchObject(REFUSED);
    expect(deletedFaceIds()).toEqual([]);
    expect(cognitoMock.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  test('refuses a token with an auth_time in the future', async () => {
    expect(await call('delete', signedInAgo(-3600))).toMatchObject(REFUSED);
  });

  test('answers a failure with the fixed text only, never the cause', async () => {
    cognitoMock.on(AdminDeleteUserCommand).rejects(serviceError('InternalErrorException', 'pool us-east-1_UnitTest1 is on fire'));
    const response = await call('delete');
    expect(response).toMatchObject({ statusCode: 500, json: { message: 'Request failed.' } });
    expect(response.body).not.toContain('fire');
  });
});

test('refuses a route the API does not have', async () => {
  expect(await call('delete', (event) => (event.routeKey = 'PUT /account'))).toMatchObject(REFUSED);
});

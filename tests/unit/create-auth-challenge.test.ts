import './support/env';
import { CreateFaceLivenessSessionCommand } from '@aws-sdk/client-rekognition';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import { handler } from '../../functions/create-auth-challenge/handler';
import { awsCallNames, dynamoMock, rekognitionMock, receivedInputs, resetAwsMocks } from './support/aws-mocks';
import { BUCKET, REGION } from './support/env';
import { createEvent, SUB } from './support/events';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACTIVE_ENROLLMENT = { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT', key: `enrollment/${SUB}/x.jpg`, faceId: 'f1', uploadedAt: '2026-11-20T10:00:00.000Z' };

type Policy = { expiration: string; conditions: unknown[] };
function policyOf(event: CreateAuthChallengeTriggerEvent): Policy {
  const fields = JSON.parse(event.response.publicChallengeParameters.uploadFields!) as Record<string, string>;
  return JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8')) as Policy;
}

let sessionCounter = 0;
beforeEach(() => {
  resetAwsMocks();
  dynamoMock.on(GetCommand).resolves({});
  dynamoMock.on(PutCommand).resolves({});
  rekognitionMock.on(CreateFaceLivenessSessionCommand).callsFake(async () => ({ SessionId: `0000000${++sessionCounter}-1111-4222-8333-444455556666` }));
});

describe('create auth challenge: enrolment', () => {
  test('asks a user without an accepted enrolment for an ID photo with exactly the documented parameters', async () => {
    const { response } = await handler(createEvent('enroll'));
    expect(response.challengeMetadata).toBe('ENROLL_ID_PHOTO');
    expect(Object.keys(response.publicChallengeParameters).sort()).toEqual(['contentTypes', 'maxBytes', 'step', 'uploadFields', 'uploadUrl']);
    expect(response.publicChallengeParameters).toMatchObject({ step: 'ENROLL_ID_PHOTO', maxBytes: '5242880', contentTypes: 'image/jpeg,image/png' });
  });

  test('chooses the key itself, under the user, and keeps it private', async () => {
    const { response } = await handler(createEvent('enroll'));
    const key = response.privateChallengeParameters.key!;
    expect(key).toMatch(new RegExp(`^enrollment/${SUB}/[0-9a-f-]{36}\\.jpg$`));
    expect(response.privateChallengeParameters).toEqual({ step: 'ENROLL_ID_PHOTO', key });
    expect(JSON.stringify(response.publicChallengeParameters)).toContain(key);
  });

  test('issues a new key for every challenge', async () => {
    const first = await handler(createEvent('enroll'));
    const second = await handler(createEvent('enroll'));
    expect(first.response.privateChallengeParameters.key).not.toBe(second.response.privateChallengeParameters.key);
  });

  test('pins the key, the content type and the size range in the upload policy', async () => {
    const event = await handler(createEvent('enroll'));
    const { conditions } = policyOf(event);
    expect(conditions).toEqual(
      expect.arrayContaining([
        ['eq', '$key', event.response.privateChallengeParameters.key],
        ['eq', '$Content-Type', 'image/jpeg'],
        ['content-length-range', 1, 5242880],
        { bucket: BUCKET },
      ]),
    );
    expect(conditions.some((condition) => Array.isArray(condition) && condition[0] === 'starts-with')).toBe(false);
  });

  test('lets the upload policy expire after UPLOAD_URL_TTL_SECONDS', async () => {
    const before = Date.now();
    const { expiration } = policyOf(await handler(createEvent('enroll')));
    const lifetimeSeconds = (Date.parse(expiration) - before) / 1000;
    expect(lifetimeSeconds).toBeGreaterThan(298);
    expect(lifetimeSeconds).toBeLessThanOrEqual(301);
  });

  test('pins PNG when the client asks for it', async () => {
    const event = createEvent('enroll');
    event.request.clientMetadata = { contentType: 'image/png' };
    const result = await handler(event);
    expect(result.response.privateChallengeParameters.key).toMatch(/\.png$/);
    expect(policyOf(result).conditions).toContainEqual(['eq', '$Content-Type', 'image/png']);
  });

  test('refuses a content type other than JPEG or PNG by name', async () => {
    const event = createEvent('enroll');
    event.request.clientMetadata = { contentType: 'image/gif' };
    await expect(handler(event)).rejects.toThrow('clientMetadata.contentType must be one of image/jpeg, image/png');
  });
});

describe('create auth challenge: liveness', () => {
  test('gives an enrolled user a liveness session writing into our bucket under the user', async () => {
    dynamoMock.on(GetCommand).resolves({ Item: ACTIVE_ENROLLMENT });
    const { response } = await handler(createEvent('enroll'));
    expect(response.challengeMetadata).toBe('FACE_LIVENESS');
    expect(receivedInputs(rekognitionMock, CreateFaceLivenessSessionCommand)).toContainEqual(expect.objectContaining({
      Settings: { OutputConfig: { S3Bucket: BUCKET, S3KeyPrefix: `liveness/${SUB}/` }, AuditImagesLimit: 2 },
    }));
  });

  test('sends the client only the step, the session id and the region', async () => {
    const { response } = await handler(createEvent('liveness'));
    const sessionId = response.privateChallengeParameters.sessionId;
    expect(response.publicChallengeParameters).toEqual({ step: 'FACE_LIVENESS', sessionId, region: REGION });
    expect(response.privateChallengeParameters).toEqual({ step: 'FACE_LIVENESS', sessionId });
  });

  test('stores the session bound to the user, unused, expiring after LIVENESS_SESSION_TTL_SECONDS', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { response } = await handler(createEvent('liveness'));
    const put = dynamoMock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.Item).toMatchObject({ pk: `USER#${SUB}`, sk: `LIVENESS#${response.privateChallengeParameters.sessionId}`, used: false });
    expect(put.Item!.expiresAt).toBeGreaterThanOrEqual(before + 180);
    expect(put.Item!.expiresAt).toBeLessThanOrEqual(before + 181);
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  test('moves on to liveness after an accepted enrolment in the same session without another lookup', async () => {
    await handler(createEvent('liveness'));
    expect(dynamoMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  test('gives every retry a fresh liveness session', async () => {
    const retry = () => {
      const event = createEvent('liveness');
      event.request.session.push({ challengeName: 'CUSTOM_CHALLENGE', challengeResult: false, challengeMetadata: 'FACE_LIVENESS' });
      return handler(event);
    };
    const first = await retry();
    const second = await retry();
    expect(first.response.privateChallengeParameters.sessionId).not.toBe(second.response.privateChallengeParameters.sessionId);
    expect(rekognitionMock.commandCalls(CreateFaceLivenessSessionCommand)).toHaveLength(2);
  });

  test('refuses to answer when Rekognition returns no session id', async () => {
    rekognitionMock.on(CreateFaceLivenessSessionCommand).resolves({});
    await expect(handler(createEvent('liveness'))).rejects.toThrow('CreateFaceLivenessSession returned no SessionId');
  });
});

describe('create auth challenge: refusals and unknown users', () => {
  test('gives an unknown user a liveness challenge shaped exactly like a real one, with no AWS call', async () => {
    const real = await handler(createEvent('liveness'));
    resetAwsMocks();
    const decoy = await handler(createEvent('user-not-found'));
    expect(awsCallNames()).toEqual([]);
    expect(decoy.response.challengeMetadata).toBe(real.response.challengeMetadata);
    expect(Object.keys(decoy.response.publicChallengeParameters).sort()).toEqual(Object.keys(real.response.publicChallengeParameters).sort());
    expect(decoy.response.publicChallengeParameters.region).toBe(REGION);
    expect(decoy.response.publicChallengeParameters.sessionId).toMatch(UUID);
  });

  test('gives each unknown-user challenge a different session id', async () => {
    const first = await handler(createEvent('user-not-found'));
    const second = await handler(createEvent('user-not-found'));
    expect(first.response.publicChallengeParameters.sessionId).not.toBe(second.response.publicChallengeParameters.sessionId);
  });

  test('refuses a challenge type other than CUSTOM_CHALLENGE', async () => {
    const event = createEvent('enroll');
    event.request.challengeName = 'SMS_MFA';
    await expect(handler(event)).rejects.toThrow('only CUSTOM_CHALLENGE is supported, not SMS_MFA');
  });

  test('refuses a session our triggers did not produce', async () => {
    const event = createEvent('enroll');
    event.request.session.push({ challengeName: 'SRP_A', challengeResult: true } as CreateAuthChallengeTriggerEvent['request']['session'][number]);
    await expect(handler(event)).rejects.toThrow('invalid session: challenge SRP_A');
  });

  test('refuses a user record without a sub', async () => {
    const event = createEvent('enroll');
    delete (event.request.userAttributes as Record<string, string>).sub;
    await expect(handler(event)).rejects.toThrow('the user has no sub attribute');
  });
});

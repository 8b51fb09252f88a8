import { randomUUID } from 'node:crypto';
import { CreateFaceLivenessSessionCommand } from '@aws-sdk/client-rekognition';
import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { jest } from '@jest/globals';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import { makeHandler, PENDING_UPLOAD_WAIT_MS } from '../../functions/create-auth-challenge/handler';
import { addressHash, checkEmailCode } from '../../functions/lib/email-code';
import {
  arrangeEmptyTable,
  awsCallNames,
  conditionalCheckFailed,
  dynamoMock,
  forgetAwsCalls,
  nowSeconds,
  putItems,
  receivedInputs,
  rekognitionMock,
  resetAwsMocks,
  serviceError,
  sesMock,
  storeEnrollment,
  storeItem,
} from './support/aws-mocks';
import { createEvent, EMAIL, PSEUDONYM_SECRET, SUB, UNKNOWN_PSEUDO_SUB } from './support/events';

const KEY = Buffer.from(PSEUDONYM_SECRET, 'base64');
const SENT_TO_EMAIL = addressHash(KEY, EMAIL);
import { watchMetrics, type CountedMetric } from './support/metrics';
import { BUCKET, EMAIL_IDENTITY_ARN, EMAIL_SENDER, NOW_MS, REGION, TABLE, testParts } from './support/parts';

const handler = makeHandler(testParts());

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const REFUSED = /^Request refused\.$/;
const FAILED = /^Request failed\.$/;

type SessionEntry = CreateAuthChallengeTriggerEvent['request']['session'][number];
const entry = (challengeMetadata: string, challengeResult: boolean, challengeName = 'CUSTOM_CHALLENGE') =>
  ({ challengeName, challengeResult, challengeMetadata }) as SessionEntry;

function withSession(session: SessionEntry[], name = 'email-code'): CreateAuthChallengeTriggerEvent {
  const event = createEvent(name);
  event.request.session = session;
  return event;
}

type Policy = { expiration: string; conditions: unknown[] };
function policyOf(event: CreateAuthChallengeTriggerEvent): Policy {
  const fields = JSON.parse(event.response.publicChallengeParameters.uploadFields!) as Record<string, string>;
  return JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8')) as Policy;
}

/** The one email SES was asked to send, and the code in it. */
function sentEmail(): { input: SendEmailCommandInput; code: string } {
  const [input, ...more] = receivedInputs(sesMock, SendEmailCommand) as unknown as SendEmailCommandInput[];
  expect(more).toEqual([]);
  const code = /\b\d{6}\b/.exec(input!.Content!.Simple!.Subject!.Data!)?.[0];
  expect(code).toBeDefined();
  return { input: input!, code: code! };
}

const livenessPrefixes = () =>
  receivedInputs(rekognitionMock, CreateFaceLivenessSessionCommand).map(
    (input) => (input.Settings as { OutputConfig: { S3KeyPrefix: string } }).OutputConfig.S3KeyPrefix,
  );

let metrics: CountedMetric[];
beforeEach(() => {
  resetAwsMocks();
  arrangeEmptyTable();
  sesMock.on(SendEmailCommand).resolves({ MessageId: '0100019a-7c3e-4f5d-9b1a-2c8e6d4f0a13-000000' });
  rekognitionMock.on(CreateFaceLivenessSessionCommand).callsFake(async () => ({ SessionId: randomUUID() }));
  metrics = watchMetrics();
});

describe('create auth challenge: email code', () => {
  test('asks a user without an enrollment for an email code first, never for an upload', async () => {
    const { response } = await handler(createEvent('email-code'));
    expect(response.challengeMetadata).toBe('EMAIL_CODE');
    expect(putItems('ENROLLMENT#')).toEqual([]);
    expect(response.publicChallengeParameters.uploadUrl).toBeUndefined();
  });

  test("sends a 6-digit code with SES v2 from EMAIL_SENDER and its identity to the user's email", async () => {
    await handler(createEvent('email-code'));
    const { input, code } = sentEmail();
    expect(input).toMatchObject({
      FromEmailAddress: EMAIL_SENDER,
      FromEmailAddressIdentityArn: EMAIL_IDENTITY_ARN,
      Destination: { ToAddresses: [EMAIL] },
    });
    expect(code).toMatch(/^\d{6}$/);
    expect(input.Content!.Simple!.Body!.Text!.Data).toContain(`Your sign-in code is ${code}`);
  });

  test('sends the code as text and as HTML', async () => {
    await handler(createEvent('email-code'));
    const { input, code } = sentEmail();
    expect(input.Content!.Simple!.Body!.Html?.Data).toContain(code);
  });

  test('tells the client only the masked address and the code length', async () => {
    const { response } = await handler(createEvent('email-code'));
    expect(response.publicChallengeParameters).toEqual({ step: 'EMAIL_CODE', destination: 'a***@e***.com', codeLength: '6' });
  });

  test('keeps only a salted, keyed hash of the code, never the code, in the private parameters', async () => {
    const { response } = await handler(createEvent('email-code'));
    const { code } = sentEmail();
    const parameters = response.privateChallengeParameters;
    expect(Object.keys(parameters).sort()).toEqual(['addressHash', 'challengeId', 'codeHash', 'expiresAt', 'salt', 'step']);
    expect(Object.values(parameters)).not.toContain(code);
    expect(checkEmailCode(KEY, parameters, code, NOW_MS, SENT_TO_EMAIL)).toBe('MATCH');
  });

  test('binds the code to the address it is mailed to, by its keyed hash', async () => {
    const { response } = await handler(createEvent('email-code'));
    expect(response.privateChallengeParameters.addressHash).toBe(SENT_TO_EMAIL);
    expect(JSON.stringify(response)).not.toContain(EMAIL);
  });

  test('lets the code expire 10 minutes after it was sent', async () => {
    const { response } = await handler(createEvent('email-code'));
    expect(Number(response.privateChallengeParameters.expiresAt)).toBe(NOW_MS + 600_000);
  });

  test('salts every code afresh', async () => {
    const first = await handler(createEvent('email-code'));
    const second = await handler(createEvent('email-code'));
    expect(first.response.privateChallengeParameters.salt).not.toBe(second.response.privateChallengeParameters.salt);
  });

  test("keeps the code's salted hash as the user's outstanding code, unless an unexpired one is", async () => {
    const { response } = await handler(createEvent('email-code'));
    const { codeHash, salt } = response.privateChallengeParameters;
    expect(receivedInputs(dynamoMock, PutCommand)).toContainEqual({
      TableName: expect.any(String),
      Item: {
        pk: `USER#${SUB}`,
        sk: 'EMAIL_CODE',
        ...{ codeHash, salt, addressHash: SENT_TO_EMAIL },
        ...{ expiresAtMs: NOW_MS + 600_000, expiresAt: nowSeconds() + 600 },
      },
      ConditionExpression:
        'attribute_not_exists(pk) OR expiresAtMs <= :now OR attribute_not_exists(addressHash) OR addressHash <> :address',
      ExpressionAttributeValues: { ':now': NOW_MS, ':address': SENT_TO_EMAIL },
    });
  });

  describe('while a code is outstanding', () => {
    const OUTSTANDING = {
      codeHash: 'iRvu5I-AqhlyZVO5T6C0REbFtnuKKrxEOTJ-rPrTcpQ',
      salt: 'Q2x3b1ZrN3dTcjVoTWZkUQ',
      expiresAtMs: NOW_MS + 300_000,
      addressHash: SENT_TO_EMAIL,
    };

    beforeEach(() => {
      dynamoMock.on(PutCommand, { Item: { sk: 'EMAIL_CODE' } }).rejects(conditionalCheckFailed());
      storeItem(`USER#${SUB}`, 'EMAIL_CODE', OUTSTANDING);
    });

    test.each([
      ['a new sign-in', createEvent('email-code')],
      ['the same sign-in after a wrong code', withSession([entry('EMAIL_CODE', false)])],
    ])('asks %s for it again and sends no email', async (_case, event) => {
      const { response } = await handler(event);
      expect(response.privateChallengeParameters).toMatchObject({
        step: 'EMAIL_CODE',
        codeHash: OUTSTANDING.codeHash,
        salt: OUTSTANDING.salt,
        expiresAt: String(OUTSTANDING.expiresAtMs),
      });
      expect(sesMock.calls()).toHaveLength(0);
      expect(metrics).toEqual([{ name: 'EmailCodeAskedAgain' }]);
    });

    test('gives each challenge that asks for it an id of its own', async () => {
      const first = await handler(createEvent('email-code'));
      const second = await handler(createEvent('email-code'));
      expect(first.response.privateChallengeParameters.challengeId).not.toBe(second.response.privateChallengeParameters.challengeId);
    });

    test('sends a new code when the outstanding one was used or expired before it could be read', async () => {
      dynamoMock
        .on(PutCommand, { Item: { sk: 'EMAIL_CODE' } })
        .rejectsOnce(conditionalCheckFailed())
        .resolves({});
      dynamoMock.on(GetCommand, { Key: { sk: 'EMAIL_CODE' } }).resolves({});
      const { response } = await handler(createEvent('email-code'));
      expect(checkEmailCode(KEY, response.privateChallengeParameters, sentEmail().code, NOW_MS, SENT_TO_EMAIL)).toBe('MATCH');
    });

    test('never asks for a code mailed to another address than the user has now: it sends a new one', async () => {
      storeItem(`USER#${SUB}`, 'EMAIL_CODE', { ...OUTSTANDING, addressHash: addressHash(KEY, 'grace@example.com') });
      dynamoMock
        .on(PutCommand, { Item: { sk: 'EMAIL_CODE' } })
        .rejectsOnce(conditionalCheckFailed())
        .resolves({});
      const { response } = await handler(createEvent('email-code'));
      expect(response.privateChallengeParameters.codeHash).not.toBe(OUTSTANDING.codeHash);
      expect(sentEmail().code).toMatch(/^\d{6}$/);
      expect(metrics).toEqual([{ name: 'EmailCodeSent' }]);
    });
  });

  test('counts every code sent', async () => {
    await handler(createEvent('email-code'));
    expect(metrics).toEqual([{ name: 'EmailCodeSent' }]);
  });

  test('fails with the fixed error, and counts the failure, when SES refuses to send', async () => {
    sesMock.on(SendEmailCommand).rejects(serviceError('MessageRejected', `Email address is not verified: ${EMAIL_SENDER}`));
    await expect(handler(createEvent('email-code'))).rejects.toThrow(FAILED);
    expect(metrics).toEqual([{ name: 'EmailCodeFailed', reason: 'SEND_FAILED' }]);
  });

  test('forgets a code whose email could not be sent, so that the next sign-in sends a new one', async () => {
    sesMock.on(SendEmailCommand).rejects(serviceError('MessageRejected', 'rejected'));
    await expect(handler(createEvent('email-code'))).rejects.toThrow(FAILED);
    const [saved] = putItems('EMAIL_CODE');
    expect(receivedInputs(dynamoMock, DeleteCommand)).toEqual([
      expect.objectContaining({ Key: { pk: `USER#${SUB}`, sk: 'EMAIL_CODE' }, ExpressionAttributeValues: { ':salt': saved!.salt } }),
    ]);
  });

  test('refuses a user without an email address, sending nothing', async () => {
    const event = createEvent('email-code');
    delete (event.request.userAttributes as Record<string, string>).email;
    await expect(handler(event)).rejects.toThrow(REFUSED);
    expect(sesMock.calls()).toHaveLength(0);
  });
});

describe('create auth challenge: ID photo upload', () => {
  test('offers the upload after a correct email code in the same session, with exactly the documented parameters', async () => {
    const { response } = await handler(createEvent('enroll'));
    expect(response.challengeMetadata).toBe('ENROLL_ID_PHOTO');
    expect(Object.keys(response.publicChallengeParameters).sort()).toEqual([
      'contentTypes',
      'maxBytes',
      'step',
      'uploadFields',
      'uploadUrl',
    ]);
    expect(response.publicChallengeParameters).toMatchObject({ step: 'ENROLL_ID_PHOTO', maxBytes: '5242880', contentTypes: 'image/jpeg' });
    expect(sesMock.calls()).toHaveLength(0);
  });

  test.each([
    ['an upload step with no email code before it', [entry('ENROLL_ID_PHOTO', false)]],
    ['an upload step after a wrong email code', [entry('EMAIL_CODE', false), entry('ENROLL_ID_PHOTO', false)]],
    ['a second email code after a correct one', [entry('EMAIL_CODE', true), entry('EMAIL_CODE', true)]],
  ])('refuses a session with %s', async (_case, session) => {
    await expect(handler(withSession(session))).rejects.toThrow(REFUSED);
    expect(putItems('ENROLLMENT#')).toEqual([]);
  });

  test('records the key as ISSUED to the user before handing out the policy', async () => {
    const { response } = await handler(createEvent('enroll'));
    const key = response.privateChallengeParameters.key!;
    const [issued] = receivedInputs(dynamoMock, PutCommand);
    expect(issued).toMatchObject({
      Item: { pk: `USER#${SUB}`, sk: `ENROLLMENT#${key}`, key, status: 'ISSUED' },
    });
  });

  test('hands out no upload policy when the issued key cannot be recorded', async () => {
    dynamoMock.on(PutCommand).rejects(serviceError('ProvisionedThroughputExceededException'));
    await expect(handler(createEvent('enroll'))).rejects.toThrow(FAILED);
  });

  test('chooses the key itself, a new UUID under the user, and keeps it private', async () => {
    const first = await handler(createEvent('enroll'));
    const second = await handler(createEvent('enroll'));
    const key = first.response.privateChallengeParameters.key!;
    expect(key).toMatch(new RegExp(`^enrollment/${SUB}/${UUID}\\.jpg$`));
    expect(first.response.privateChallengeParameters).toEqual({ step: 'ENROLL_ID_PHOTO', key });
    expect(second.response.privateChallengeParameters.key).not.toBe(key);
  });

  test('pins the key, the JPEG content type and the size range in the upload policy', async () => {
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

  test('lets the upload policy expire after about 2 minutes', async () => {
    const before = Date.now();
    const { expiration } = policyOf(await handler(createEvent('enroll')));
    const lifetimeSeconds = (Date.parse(expiration) - before) / 1000;
    expect(lifetimeSeconds).toBeGreaterThan(118);
    expect(lifetimeSeconds).toBeLessThanOrEqual(121);
  });

  test('offers liveness instead of an upload to a user who enrolled meanwhile in another session', async () => {
    storeEnrollment(SUB, { state: 'PROVISIONAL' });
    const { response } = await handler(createEvent('enroll'));
    expect(response.challengeMetadata).toBe('FACE_LIVENESS');
    expect(putItems('ENROLLMENT#')).toEqual([]);
  });
});

describe('create auth challenge: after a refused photo answer', () => {
  const refusedUpload = () => withSession([entry('EMAIL_CODE', true), entry('ENROLL_ID_PHOTO', false)], 'enroll');
  const decidingQueries = () => receivedInputs(dynamoMock, QueryCommand);

  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  async function create(event: CreateAuthChallengeTriggerEvent, advanceMs = PENDING_UPLOAD_WAIT_MS) {
    const creating = handler(event);
    await jest.advanceTimersByTimeAsync(advanceMs);
    return creating;
  }

  test('waits for a photo of the user still being checked, and offers liveness once it made the user enrolled', async () => {
    // The indexer is deciding at the first look and has enrolled the user by the second.
    let looks = 0;
    dynamoMock.on(QueryCommand).callsFake(() => ({ Count: ++looks === 1 ? 1 : 0 }));
    const enrollment = { state: 'PROVISIONAL', provisionalUntil: nowSeconds() + 3600, faceId: 'f', photoKey: 'p', key: 'k' };
    dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).callsFake(() => (looks > 1 ? { Item: enrollment } : {}));
    const { response } = await create(refusedUpload());
    expect(response.challengeMetadata).toBe('FACE_LIVENESS');
    expect(putItems('ENROLLMENT#')).toEqual([]);
  });

  test('asks whether a run is deciding one of its uploads, reading consistently', async () => {
    dynamoMock.on(QueryCommand).resolves({ Count: 0 });
    await create(refusedUpload());
    expect(decidingQueries()[0]).toEqual({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :enrollment)',
      FilterExpression: '#status = :issued AND decidingUntil > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pk': `USER#${SUB}`, ':enrollment': 'ENROLLMENT#', ':issued': 'ISSUED', ':now': NOW_MS },
      ConsistentRead: true,
      Select: 'COUNT',
    });
  });

  test("finds a photo being checked on a later page of the user's upload records", async () => {
    // DynamoDB reads 1 MB before the filter: a user with many upload records has them over several pages.
    const lastKey = { pk: `USER#${SUB}`, sk: 'ENROLLMENT#enrollment/a.jpg' };
    let looks = 0;
    dynamoMock.on(QueryCommand).callsFake((input: { ExclusiveStartKey?: unknown }) => {
      looks++;
      return input.ExclusiveStartKey === undefined ? { Count: 0, LastEvaluatedKey: lastKey } : { Count: looks === 2 ? 1 : 0 };
    });
    const enrollment = { state: 'PROVISIONAL', provisionalUntil: nowSeconds() + 3600, faceId: 'f', photoKey: 'p', key: 'k' };
    dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).callsFake(() => (looks > 2 ? { Item: enrollment } : {}));
    const { response } = await create(refusedUpload());
    expect(response.challengeMetadata).toBe('FACE_LIVENESS');
    expect(decidingQueries()[1]).toMatchObject({ ExclusiveStartKey: lastKey });
  });

  test('offers a new upload at once when no photo of the user is being checked', async () => {
    dynamoMock.on(QueryCommand).resolves({ Count: 0 });
    const { response } = await create(refusedUpload(), 0);
    expect(response.challengeMetadata).toBe('ENROLL_ID_PHOTO');
    expect(decidingQueries()).toHaveLength(1);
  });

  test('offers a new upload when the check outlasts the wait, having waited at most PENDING_UPLOAD_WAIT_MS', async () => {
    dynamoMock.on(QueryCommand).resolves({ Count: 1 });
    const { response } = await create(refusedUpload());
    expect(response.challengeMetadata).toBe('ENROLL_ID_PHOTO');
    expect(decidingQueries().length).toBeLessThanOrEqual(PENDING_UPLOAD_WAIT_MS / 200 + 1);
  });

  test('looks for no photo being checked when the last answer was not a refused upload', async () => {
    await create(createEvent('enroll'), 0);
    await create(withSession([entry('EMAIL_CODE', false)]), 0);
    expect(decidingQueries()).toEqual([]);
  });
});

describe('create auth challenge: liveness', () => {
  test.each(['CONFIRMED', 'PROVISIONAL'] as const)(
    'sends a user with a %s enrollment straight to liveness, with no email',
    async (state) => {
      storeEnrollment(SUB, { state });
      const { response } = await handler(createEvent('email-code'));
      expect(response.challengeMetadata).toBe('FACE_LIVENESS');
      expect(sesMock.calls()).toHaveLength(0);
    },
  );

  test('treats an expired provisional enrollment as none: the user proves the email again', async () => {
    storeEnrollment(SUB, { state: 'PROVISIONAL', provisionalUntil: nowSeconds() - 1 });
    const { response } = await handler(createEvent('email-code'));
    expect(response.challengeMetadata).toBe('EMAIL_CODE');
  });

  test('creates a session that writes into our bucket under the user', async () => {
    await handler(createEvent('liveness'));
    expect(receivedInputs(rekognitionMock, CreateFaceLivenessSessionCommand)).toEqual([
      { Settings: { OutputConfig: { S3Bucket: BUCKET, S3KeyPrefix: `liveness/${SUB}/` }, AuditImagesLimit: 2 } },
    ]);
  });

  test('sends the client only the step, the session id and the region', async () => {
    const { response } = await handler(createEvent('liveness'));
    const sessionId = response.privateChallengeParameters.sessionId;
    expect(response.publicChallengeParameters).toEqual({ step: 'FACE_LIVENESS', sessionId, region: REGION });
    expect(response.privateChallengeParameters).toEqual({ step: 'FACE_LIVENESS', sessionId });
  });

  test('stores the session bound to the user, unused, expiring after LIVENESS_SESSION_TTL_SECONDS', async () => {
    const { response } = await handler(createEvent('liveness'));
    const [put] = receivedInputs(dynamoMock, PutCommand);
    expect(put).toMatchObject({
      Item: { pk: `USER#${SUB}`, sk: `LIVENESS#${response.privateChallengeParameters.sessionId}`, used: false },
    });
    expect((put!.Item as { expiresAt: number }).expiresAt).toBe(nowSeconds() + 180);
  });

  test('moves on to liveness after an upload in the same session without looking the enrollment up', async () => {
    await handler(createEvent('liveness'));
    expect(dynamoMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  test('gives every retry a fresh liveness session', async () => {
    const retry = () => handler(withSession([entry('FACE_LIVENESS', false)]));
    const first = await retry();
    const second = await retry();
    expect(first.response.privateChallengeParameters.sessionId).not.toBe(second.response.privateChallengeParameters.sessionId);
  });

  test('fails with the fixed error when Rekognition returns no session id', async () => {
    rekognitionMock.on(CreateFaceLivenessSessionCommand).resolves({});
    await expect(handler(createEvent('liveness'))).rejects.toThrow(FAILED);
  });
});

describe('create auth challenge: unknown usernames', () => {
  test('get a real liveness session under their pseudo-identity', async () => {
    const { response } = await handler(createEvent('user-not-found'));
    const pseudo = UNKNOWN_PSEUDO_SUB;
    expect(pseudo).toMatch(new RegExp(`^${UUID}$`));
    expect(livenessPrefixes()).toEqual([`liveness/${pseudo}/`]);
    expect(putItems('LIVENESS#')).toEqual([
      expect.objectContaining({ pk: `USER#${pseudo}`, sk: `LIVENESS#${response.privateChallengeParameters.sessionId}` }),
    ]);
  });

  test("get a challenge shaped exactly like an enrolled user's", async () => {
    storeEnrollment(SUB, { state: 'CONFIRMED' });
    const real = await handler(createEvent('email-code'));
    const decoy = await handler(createEvent('user-not-found'));
    expect(decoy.response.challengeMetadata).toBe(real.response.challengeMetadata);
    expect(Object.keys(decoy.response.publicChallengeParameters).sort()).toEqual(
      Object.keys(real.response.publicChallengeParameters).sort(),
    );
    expect(decoy.response.publicChallengeParameters.region).toBe(REGION);
  });

  test('cost the same AWS calls, in the same order, as an enrolled user', async () => {
    storeEnrollment(SUB, { state: 'CONFIRMED' });
    await handler(createEvent('user-not-found')); // the pseudonym key is read once per container, as any cold start does
    forgetAwsCalls();
    await handler(createEvent('email-code'));
    const enrolled = awsCallNames();
    forgetAwsCalls();
    await handler(createEvent('user-not-found'));
    expect(awsCallNames()).toEqual(enrolled);
    expect(enrolled).toEqual(['DynamoDB.GetCommand', 'Rekognition.CreateFaceLivenessSessionCommand', 'DynamoDB.PutCommand']);
  });

  test('keep one pseudo-identity per email, whatever its case, and a different one for another email', async () => {
    const as = (userName: string) => {
      const event = createEvent('user-not-found');
      event.userName = userName;
      return handler(event);
    };
    await as('nobody@example.com');
    await as(' Nobody@Example.COM');
    await as('somebody@example.com');
    const [first, sameEmail, otherEmail] = livenessPrefixes();
    expect(sameEmail).toBe(first);
    expect(otherEmail).not.toBe(first);
  });

  test('are counted as liveness challenges with the reason DECOY, as a real one is with USER', async () => {
    await handler(createEvent('user-not-found'));
    await handler(createEvent('liveness'));
    expect(metrics).toEqual([
      { name: 'LivenessChallenge', reason: 'DECOY' },
      { name: 'LivenessChallenge', reason: 'USER' },
    ]);
  });
});

describe('create auth challenge: refusals', () => {
  test('refuses a challenge type other than CUSTOM_CHALLENGE', async () => {
    const event = createEvent('email-code');
    event.request.challengeName = 'SMS_MFA';
    await expect(handler(event)).rejects.toThrow(REFUSED);
  });

  test('refuses a session our triggers did not produce', async () => {
    await expect(handler(withSession([entry('', true, 'SRP_A')]))).rejects.toThrow(REFUSED);
  });

  test('refuses a user record without a sub', async () => {
    const event = createEvent('email-code');
    delete (event.request.userAttributes as Record<string, string>).sub;
    await expect(handler(event)).rejects.toThrow(REFUSED);
  });
});

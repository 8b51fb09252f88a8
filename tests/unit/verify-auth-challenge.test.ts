import { jest } from '@jest/globals';
import { AdminUpdateUserAttributesCommand } from '@aws-sdk/client-cognito-identity-provider';
import {
  CompareFacesCommand,
  DeleteFacesCommand,
  GetFaceLivenessSessionResultsCommand,
  IndexFacesCommand,
  SearchFacesCommand,
  type GetFaceLivenessSessionResultsCommandOutput,
} from '@aws-sdk/client-rekognition';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { VerifyAuthChallengeResponseTriggerEvent } from 'aws-lambda';
import { ANSWER_BUDGET_MS, makeHandler, UPLOAD_EVENT_GRACE_MS } from '../../functions/verify-auth-challenge/handler';
import {
  abortSignals,
  arrangeEmptyTable,
  awsCallNames,
  checkPlacesHeld,
  cognitoMock,
  conditionalCheckFailed,
  deletedItems,
  dynamoMock,
  failuresRecorded,
  forgetAwsCalls,
  recordedFailures,
  nowSeconds,
  putItems,
  receivedInputs,
  rekognitionMock,
  resetAwsMocks,
  s3Mock,
  serviceError,
  storeEnrollment,
  storeItem,
  writeCallNames,
} from './support/aws-mocks';
import {
  EMAIL,
  EMAIL_CODE_ANSWER,
  EMAIL_CODE_ISSUED_AT_MS,
  ENROLL_KEY,
  OTHER_SUB,
  SESSION_ID,
  SUB,
  UNKNOWN_PSEUDO_SUB,
  verifyEvent,
} from './support/events';
import { watchMetrics, type CountedMetric } from './support/metrics';
import { BUCKET, COLLECTION, FakeClock, NOW_MS, testParts } from './support/parts';
import { arrangeCollection, faceMatch, issueKey, NEW_FACE_ID, storePhoto } from './support/photos';

type Event = VerifyAuthChallengeResponseTriggerEvent;

const clock = new FakeClock();
const handler = makeHandler(testParts({ clock }));
const referenceKey = (sub: string, sessionId: string) => `liveness/${sub}/${sessionId}/reference.jpg`;

const succeeded = (overrides: Partial<GetFaceLivenessSessionResultsCommandOutput> = {}, reference = referenceKey(SUB, SESSION_ID)) => ({
  SessionId: SESSION_ID,
  Status: 'SUCCEEDED' as const,
  Confidence: 98.7,
  ReferenceImage: { S3Object: { Bucket: BUCKET, Name: reference } },
  ...overrides,
});
const MATCH = { FaceMatches: [{ Similarity: 99.2, Face: {} }], UnmatchedFaces: [] };
const NO_MATCH = { FaceMatches: [], UnmatchedFaces: [{ Confidence: 99.9 }] };

async function answerCorrect(name = 'liveness-answer', change?: (event: Event) => void): Promise<boolean> {
  const event = verifyEvent(name);
  change?.(event);
  return (await handler(event)).response.answerCorrect;
}

const lock = (sub: string) => storeItem(`USER#${sub}`, 'LOCKOUT', { lockedUntil: nowSeconds() + 900 });
const storeVerdict = (challengeId: string, passed: boolean, counted: boolean) =>
  storeItem(`USER#${SUB}`, `VERDICT#${challengeId}`, { passed, counted });
const livenessResult = (output: Partial<GetFaceLivenessSessionResultsCommandOutput>) =>
  rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded(output));

let metrics: CountedMetric[];
let enrollment: ReturnType<typeof storeEnrollment>;

/** Everything in place for a liveness answer that passes; tests break one condition each. */
beforeEach(() => {
  clock.set(NOW_MS);
  resetAwsMocks();
  arrangeEmptyTable();
  arrangeCollection();
  storePhoto();
  enrollment = storeEnrollment(SUB, { state: 'CONFIRMED' });
  rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded());
  rekognitionMock.on(CompareFacesCommand).resolves(MATCH);
  metrics = watchMetrics();
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('verify auth challenge: liveness', () => {
  test('accepts a live face that matches the enrolled ID photo', async () => {
    expect(await answerCorrect()).toBe(true);
    expect(failuresRecorded()).toBe(0);
    expect(metrics).toEqual([{ name: 'LivenessPassed' }]);
  });

  test('records the passed face check with its reference image, which a replacement of the ID photo must match', async () => {
    await answerCorrect();
    expect(putItems('FACE_SIGN_IN')).toEqual([
      expect.objectContaining({
        pk: `USER#${SUB}`,
        sessionId: SESSION_ID,
        referenceKey: referenceKey(SUB, SESSION_ID),
        passedAtMs: NOW_MS,
      }),
    ]);
  });

  test('records no face check when the live face does not match', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    await answerCorrect();
    expect(putItems('FACE_SIGN_IN')).toEqual([]);
  });

  test('compares the pinned copy of the checked ID photo with the liveness reference image', async () => {
    await answerCorrect();
    expect(receivedInputs(rekognitionMock, CompareFacesCommand)).toEqual([
      {
        SourceImage: { S3Object: { Bucket: BUCKET, Name: enrollment.photoKey } },
        TargetImage: { S3Object: { Bucket: BUCKET, Name: referenceKey(SUB, SESSION_ID) } },
        SimilarityThreshold: 90,
      },
    ]);
  });

  test('consumes the session issued to this user', async () => {
    await answerCorrect();
    expect(receivedInputs(dynamoMock, UpdateCommand)).toContainEqual(
      expect.objectContaining({
        Key: { pk: `USER#${SUB}`, sk: `LIVENESS#${SESSION_ID}` },
      }),
    );
  });

  test('rejects an answer other than the issued session id without touching anything', async () => {
    expect(await answerCorrect('wrong-answer')).toBe(false);
    expect(writeCallNames()).toEqual([]);
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('rejects an answer to a challenge that carries no session id', async () => {
    expect(
      await answerCorrect('liveness-answer', (event) => {
        delete event.request.privateChallengeParameters.sessionId;
        event.request.challengeAnswer = '';
      }),
    ).toBe(false);
  });

  test.each(['EXPIRED', 'IN_PROGRESS', 'CREATED', 'FAILED'] as const)(
    'rejects a liveness result that is %s without comparing faces',
    async (Status) => {
      livenessResult({ Status });
      expect(await answerCorrect()).toBe(false);
      expect(rekognitionMock.commandCalls(CompareFacesCommand)).toHaveLength(0);
    },
  );

  test('rejects a liveness result that SUCCEEDED below the liveness threshold', async () => {
    livenessResult({ Confidence: 89.99 });
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a liveness result whose confidence is not a number', async () => {
    livenessResult({ Confidence: Number.NaN });
    expect(await answerCorrect()).toBe(false);
    expect(rekognitionMock.commandCalls(CompareFacesCommand)).toHaveLength(0);
  });

  test.each([
    ['in another bucket', { S3Object: { Bucket: 'attacker-bucket', Name: referenceKey(SUB, SESSION_ID) } }],
    ["under another user's prefix", { S3Object: { Bucket: BUCKET, Name: referenceKey(OTHER_SUB, SESSION_ID) } }],
    ['that was not stored in S3', { Bytes: Uint8Array.from([0xff, 0xd8, 0xff]) }],
  ])('rejects a reference image %s', async (_case, ReferenceImage) => {
    livenessResult({ ReferenceImage });
    expect(await answerCorrect()).toBe(false);
    expect(rekognitionMock.commandCalls(CompareFacesCommand)).toHaveLength(0);
  });

  test.each([
    ['a face that matches below the similarity threshold', NO_MATCH],
    ['a match reported below the similarity threshold', { FaceMatches: [{ Similarity: 89.9, Face: {} }], UnmatchedFaces: [] }],
    ['a match whose similarity is not a number', { FaceMatches: [{ Similarity: Number.NaN, Face: {} }], UnmatchedFaces: [] }],
    [
      'a reference image with two faces even when one matches',
      { FaceMatches: [{ Similarity: 99.5, Face: {} }], UnmatchedFaces: [{ Confidence: 99 }] },
    ],
    ['a reference image without a face', { FaceMatches: [], UnmatchedFaces: [] }],
  ])('rejects %s', async (_case, comparison) => {
    rekognitionMock.on(CompareFacesCommand).resolves(comparison);
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a user without an enrollment, after the same comparison an enrolled user costs', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({});
    expect(await answerCorrect()).toBe(false);
    const reference = { S3Object: { Bucket: BUCKET, Name: referenceKey(SUB, SESSION_ID) } };
    expect(receivedInputs(rekognitionMock, CompareFacesCommand)).toEqual([
      expect.objectContaining({ SourceImage: reference, TargetImage: reference }),
    ]);
  });

  test('treats an expired provisional enrollment as none', async () => {
    storeEnrollment(SUB, { state: 'PROVISIONAL', provisionalUntil: nowSeconds() - 1 });
    expect(await answerCorrect()).toBe(false);
    expect(metrics).toContainEqual({ name: 'LivenessFailed', reason: 'NOT_ENROLLED' });
  });

  test('counts each failed check by its reason', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    await answerCorrect();
    expect(metrics).toEqual([{ name: 'LivenessFailed', reason: 'NO_MATCH' }]);
  });

  test('answers false for a step our triggers never issue', async () => {
    expect(await answerCorrect('liveness-answer', (event) => (event.request.privateChallengeParameters.step = 'ISSUE_TOKENS'))).toBe(false);
  });

  test('answers false for a user record without a sub', async () => {
    expect(await answerCorrect('liveness-answer', (event) => delete (event.request.userAttributes as Record<string, string>).sub)).toBe(
      false,
    );
  });
});

describe('verify auth challenge: client metadata', () => {
  /** What a client could claim in ClientMetadata; verify must never read any of it. */
  const CLAIMS = { answerCorrect: 'true', livenessPassed: 'true', similarity: '99', confidence: '99.9', status: 'ACCEPTED' };
  const claiming = (answer?: string) => (event: Event) => {
    event.request.clientMetadata = CLAIMS;
    if (answer !== undefined) event.request.challengeAnswer = answer;
  };

  test('refuses an answer that is not the issued session id, whatever the metadata claims (the sample event)', async () => {
    expect(await answerCorrect('client-metadata-claims-success')).toBe(false);
  });

  test.each([
    ['nobody streamed video to it (CREATED, no reference image)', 'CREATED'],
    ['it expired without video', 'EXPIRED'],
  ] as const)('refuses the issued session id when %s, whatever the metadata claims', async (_case, Status) => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves({ SessionId: SESSION_ID, Status });
    expect(await answerCorrect('liveness-answer', claiming())).toBe(false);
  });

  test('refuses the upload answer when nothing was uploaded, whatever the metadata claims', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({});
    issueKey(SUB, ENROLL_KEY);
    s3Mock.on(HeadObjectCommand).rejects(serviceError('NotFound', 'NotFound', 404));
    expect(await answerCorrect('enroll-answer', claiming())).toBe(false);
  });

  test('refuses a wrong email code, whatever the metadata claims', async () => {
    clock.set(EMAIL_CODE_ISSUED_AT_MS + 60_000);
    expect(await answerCorrect('email-code-answer', claiming('000000'))).toBe(false);
  });
});

describe('verify auth challenge: provisional enrollment', () => {
  beforeEach(() => {
    enrollment = storeEnrollment(SUB, { state: 'PROVISIONAL' });
  });

  test('confirms a provisional enrollment at the first passed check, between two duplicate searches', async () => {
    expect(await answerCorrect()).toBe(true);
    const search = { CollectionId: COLLECTION, FaceId: enrollment.faceId, FaceMatchThreshold: 90, MaxFaces: 4096 };
    expect(receivedInputs(rekognitionMock, SearchFacesCommand)).toEqual([search, search]);
    const confirmation = receivedInputs(dynamoMock, UpdateCommand).find(
      (input) => (input.Key as { sk: string }).sk === 'ACTIVE_ENROLLMENT',
    );
    expect(confirmation).toMatchObject({
      Key: { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' },
      ExpressionAttributeValues: expect.objectContaining({ ':confirmed': 'CONFIRMED', ':faceId': enrollment.faceId }),
    });
    const calls = awsCallNames();
    const confirmedAt = calls.lastIndexOf('DynamoDB.UpdateCommand');
    expect(calls.indexOf('Rekognition.SearchFacesCommand')).toBeLessThan(confirmedAt);
    expect(calls.lastIndexOf('Rekognition.SearchFacesCommand')).toBeGreaterThan(confirmedAt);
    expect(metrics).toContainEqual({ name: 'EnrollmentConfirmed' });
  });

  test('confirms nothing when the enrollment is confirmed already', async () => {
    storeEnrollment(SUB, { state: 'CONFIRMED' });
    expect(await answerCorrect()).toBe(true);
    expect(rekognitionMock.commandCalls(SearchFacesCommand)).toHaveLength(0);
  });

  test.each([
    ["another account's provisional face", { state: 'PROVISIONAL', faceId: 'face-other' }],
    ["a face that is no longer another account's current face", { state: 'CONFIRMED', faceId: 'face-other-newer' }],
  ] as const)('confirms a face that matches %s', async (_case, other) => {
    rekognitionMock.on(SearchFacesCommand).resolves({ FaceMatches: [faceMatch(OTHER_SUB, 'face-other')] });
    storeEnrollment(OTHER_SUB, other);
    expect(await answerCorrect()).toBe(true);
  });

  describe("when the face is another account's confirmed face", () => {
    beforeEach(() => {
      rekognitionMock.on(SearchFacesCommand).resolves({ FaceMatches: [faceMatch(OTHER_SUB, 'face-other')] });
      storeEnrollment(OTHER_SUB, { state: 'CONFIRMED', faceId: 'face-other' });
    });

    test('refuses the sign-in', async () => {
      expect(await answerCorrect()).toBe(false);
      expect(metrics).toEqual(
        expect.arrayContaining([
          { name: 'EnrollmentRejected', reason: 'DUPLICATE_FACE' },
          { name: 'LivenessFailed', reason: 'DUPLICATE_FACE' },
        ]),
      );
    });

    test('removes the provisional enrollment, its face and its pinned photo', async () => {
      await answerCorrect();
      expect(deletedItems()).toEqual([
        expect.objectContaining({
          Key: { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' },
          ExpressionAttributeValues: expect.objectContaining({ ':faceId': enrollment.faceId }),
        }),
      ]);
      expect(receivedInputs(rekognitionMock, DeleteFacesCommand)).toEqual([{ CollectionId: COLLECTION, FaceIds: [enrollment.faceId] }]);
      expect(receivedInputs(s3Mock, DeleteObjectCommand)).toEqual([{ Bucket: BUCKET, Key: enrollment.photoKey }]);
    });

    test('does not count the refusal toward lockout', async () => {
      await answerCorrect();
      expect(failuresRecorded()).toBe(0);
    });

    test('marks the upload it came from as rejected, so a redelivered upload event cannot make it the enrollment again', async () => {
      await answerCorrect();
      const decision = receivedInputs(dynamoMock, UpdateCommand).find(
        (input) => (input.Key as { sk: string }).sk === `ENROLLMENT#${enrollment.key}`,
      );
      expect(decision?.ExpressionAttributeValues).toMatchObject({ ':status': 'REJECTED', ':reason': 'DUPLICATE_FACE' });
    });
  });

  describe('when another account confirms the same face at the same time', () => {
    // The first search ran before the other account's confirmation was written; the second, after this one's, sees it.
    beforeEach(() => {
      rekognitionMock
        .on(SearchFacesCommand)
        .resolvesOnce({ FaceMatches: [] })
        .resolves({ FaceMatches: [faceMatch(OTHER_SUB, 'face-other')] });
      storeEnrollment(OTHER_SUB, { state: 'CONFIRMED', faceId: 'face-other' });
    });

    test('refuses the sign-in, so one face never stands confirmed on two accounts', async () => {
      expect(await answerCorrect()).toBe(false);
      expect(metrics).not.toContainEqual({ name: 'EnrollmentConfirmed' });
      expect(metrics).toContainEqual({ name: 'EnrollmentRejected', reason: 'DUPLICATE_FACE' });
    });

    test('withdraws the confirmation it wrote: the enrollment, its face and its pinned photo go', async () => {
      await answerCorrect();
      expect(deletedItems()).toEqual([
        expect.objectContaining({
          Key: { pk: `USER#${SUB}`, sk: 'ACTIVE_ENROLLMENT' },
          ExpressionAttributeValues: { ':state': 'CONFIRMED', ':faceId': enrollment.faceId },
        }),
      ]);
      expect(receivedInputs(rekognitionMock, DeleteFacesCommand)).toEqual([{ CollectionId: COLLECTION, FaceIds: [enrollment.faceId] }]);
      expect(receivedInputs(s3Mock, DeleteObjectCommand)).toEqual([{ Bucket: BUCKET, Key: enrollment.photoKey }]);
    });
  });

  test('accepts the sign-in when a concurrent one confirmed the same face first', async () => {
    dynamoMock.on(UpdateCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).rejects(conditionalCheckFailed());
    dynamoMock
      .on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } })
      .resolvesOnce({ Item: { ...enrollment } })
      .resolves({ Item: { ...enrollment, state: 'CONFIRMED' } });
    expect(await answerCorrect()).toBe(true);
  });

  test('refuses the sign-in when the enrollment changed before it could be confirmed', async () => {
    dynamoMock.on(UpdateCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).rejects(conditionalCheckFailed());
    dynamoMock
      .on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } })
      .resolvesOnce({ Item: { ...enrollment } })
      .resolves({});
    expect(await answerCorrect()).toBe(false);
  });
});

describe('verify auth challenge: email code', () => {
  beforeEach(() => {
    clock.set(EMAIL_CODE_ISSUED_AT_MS + 60_000);
  });

  const answerCode = (answer: string) => answerCorrect('email-code-answer', (event) => (event.request.challengeAnswer = answer));

  test('accepts the code that was sent', async () => {
    expect(await answerCode(EMAIL_CODE_ANSWER)).toBe(true);
    expect(failuresRecorded()).toBe(0);
  });

  test('rejects a wrong code and counts it toward lockout once', async () => {
    expect(await answerCode('482914')).toBe(false);
    expect(failuresRecorded()).toBe(1);
    expect(metrics).toEqual([{ name: 'EmailCodeFailed', reason: 'WRONG_CODE' }]);
  });

  test('rejects the right code after it expired, without counting it toward lockout', async () => {
    clock.set(EMAIL_CODE_ISSUED_AT_MS + 600_000);
    expect(await answerCode(EMAIL_CODE_ANSWER)).toBe(false);
    expect(failuresRecorded()).toBe(0);
    expect(metrics).toEqual([{ name: 'EmailCodeFailed', reason: 'EXPIRED' }]);
  });

  test.each(['48291', '4829130', '48291a', ' 482913', ''])('rejects the malformed answer "%s"', async (answer) => {
    expect(await answerCode(answer)).toBe(false);
  });

  test('rejects any answer to a challenge that carries no code hash, without counting it', async () => {
    expect(await answerCorrect('email-code-answer', (event) => delete event.request.privateChallengeParameters.codeHash)).toBe(false);
    expect(failuresRecorded()).toBe(0);
  });

  test('rejects any answer to a challenge that carries no salt', async () => {
    expect(await answerCorrect('email-code-answer', (event) => delete event.request.privateChallengeParameters.salt)).toBe(false);
    expect(writeCallNames()).toEqual([]);
  });

  test('rejects any answer to a challenge that carries no id of its own', async () => {
    expect(await answerCorrect('email-code-answer', (event) => delete event.request.privateChallengeParameters.challengeId)).toBe(false);
    expect(writeCallNames()).toEqual([]);
  });

  const challengeId = () => verifyEvent('email-code-answer').request.privateChallengeParameters.challengeId!;

  test("records the verdict under the challenge's own id, as several sign-ins may ask for one code", async () => {
    await answerCode(EMAIL_CODE_ANSWER);
    expect(receivedInputs(dynamoMock, PutCommand)).toContainEqual(
      expect.objectContaining({
        Item: expect.objectContaining({ pk: `USER#${SUB}`, sk: `VERDICT#EMAIL_CODE#${challengeId()}`, passed: true, counted: false }),
      }),
    );
  });

  test('gives a retried wrong code its first verdict without counting it again', async () => {
    storeVerdict(`EMAIL_CODE#${challengeId()}`, false, true);
    expect(await answerCode('482914')).toBe(false);
    expect(writeCallNames()).toEqual([]);
  });

  test('removes the code once it is used, if it is still the outstanding one', async () => {
    await answerCode(EMAIL_CODE_ANSWER);
    const salt = verifyEvent('email-code-answer').request.privateChallengeParameters.salt!;
    expect(deletedItems()).toEqual([
      expect.objectContaining({
        Key: { pk: `USER#${SUB}`, sk: 'EMAIL_CODE' },
        ConditionExpression: 'salt = :salt',
        ExpressionAttributeValues: { ':salt': salt },
      }),
    ]);
  });

  test('refuses the right code that another sign-in used first, without counting it', async () => {
    dynamoMock.on(DeleteCommand, { Key: { sk: 'EMAIL_CODE' } }).rejects(conditionalCheckFailed());
    expect(await answerCode(EMAIL_CODE_ANSWER)).toBe(false);
    expect(failuresRecorded()).toBe(0);
    expect(metrics).toEqual([{ name: 'EmailCodeFailed', reason: 'ALREADY_USED' }]);
  });

  test('never removes the code for a wrong answer', async () => {
    await answerCode('482914');
    expect(deletedItems()).toEqual([]);
  });

  test('marks the address the code was sent to verified in the pool, naming it with the flag', async () => {
    expect(await answerCode(EMAIL_CODE_ANSWER)).toBe(true);
    const event = verifyEvent('email-code-answer');
    expect(receivedInputs(cognitoMock, AdminUpdateUserAttributesCommand)).toEqual([
      {
        UserPoolId: event.userPoolId,
        Username: event.userName,
        UserAttributes: [
          { Name: 'email', Value: EMAIL },
          { Name: 'email_verified', Value: 'true' },
        ],
      },
    ]);
  });

  test('marks the email verified before the code is used up', async () => {
    await answerCode(EMAIL_CODE_ANSWER);
    const marked = cognitoMock.commandCalls(AdminUpdateUserAttributesCommand)[0]!;
    const used = dynamoMock.commandCalls(DeleteCommand).find((call) => call.args[0].input.Key?.sk === 'EMAIL_CODE')!;
    expect(marked.calledBefore(used)).toBe(true);
  });

  test("refuses the right code when the user's address is not the one it was sent to, marking and counting nothing", async () => {
    expect(await answerCorrect('email-code-answer', (event) => (event.request.userAttributes.email = 'grace@example.com'))).toBe(false);
    expect(cognitoMock.calls()).toEqual([]);
    expect(deletedItems()).toEqual([]);
    expect(failuresRecorded()).toBe(0);
    expect(metrics).toEqual([{ name: 'EmailCodeFailed', reason: 'ADDRESS_CHANGED' }]);
  });

  test('leaves the pool alone for a wrong code', async () => {
    await answerCode('482914');
    expect(cognitoMock.calls()).toEqual([]);
  });

  test('leaves the pool alone for a right code when the email is verified already', async () => {
    expect(await answerCorrect('email-code-answer', (event) => (event.request.userAttributes.email_verified = 'true'))).toBe(true);
    expect(cognitoMock.calls()).toEqual([]);
  });

  test('refuses the right code when the pool cannot mark the email verified, and keeps the code for another answer', async () => {
    cognitoMock.on(AdminUpdateUserAttributesCommand).rejects(serviceError('InternalErrorException'));
    expect(await answerCode(EMAIL_CODE_ANSWER)).toBe(false);
    expect(deletedItems()).toEqual([]);
    expect(failuresRecorded()).toBe(0);
  });
});

/** Another run consumed the liveness session first and records `verdict` while this one waits (two reads later). */
function consumedByAnotherRun(verdict: { passed: boolean; counted: boolean }) {
  dynamoMock.on(UpdateCommand, { Key: { sk: `LIVENESS#${SESSION_ID}` } }).rejects(conditionalCheckFailed());
  storeItem(`USER#${SUB}`, `LIVENESS#${SESSION_ID}`, { used: true });
  dynamoMock
    .on(GetCommand, { Key: { sk: `VERDICT#LIVENESS#${SESSION_ID}` } })
    .resolvesOnce({})
    .resolvesOnce({})
    .resolves({ Item: verdict });
}

describe('verify auth challenge: one verdict per challenge', () => {
  test('saves the verdict on a liveness answer under the session id', async () => {
    await answerCorrect();
    expect(receivedInputs(dynamoMock, PutCommand)).toContainEqual(
      expect.objectContaining({
        Item: expect.objectContaining({ pk: `USER#${SUB}`, sk: `VERDICT#LIVENESS#${SESSION_ID}`, passed: true, counted: false }),
      }),
    );
  });

  test('gives a retried answer the first verdict again, without consuming the session again', async () => {
    storeVerdict(`LIVENESS#${SESSION_ID}`, true, false);
    expect(await answerCorrect()).toBe(true);
    expect(writeCallNames()).toEqual([]);
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('gives a retried failed answer its verdict without a second failure count', async () => {
    storeVerdict(`LIVENESS#${SESSION_ID}`, false, true);
    expect(await answerCorrect()).toBe(false);
    expect(failuresRecorded()).toBe(0);
  });

  test('waits for the verdict of a concurrent run that consumed the session first', async () => {
    consumedByAnotherRun({ passed: true, counted: false });
    expect(await answerCorrect()).toBe(true);
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('keeps the verdict of a concurrent run that recorded one first, and leaves the failure count to it', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    dynamoMock.on(PutCommand, { Item: { sk: `VERDICT#LIVENESS#${SESSION_ID}` } }).rejects(conditionalCheckFailed());
    dynamoMock
      .on(GetCommand, { Key: { sk: `VERDICT#LIVENESS#${SESSION_ID}` } })
      .resolvesOnce({})
      .resolves({ Item: { passed: false, counted: true } });
    expect(await answerCorrect()).toBe(false);
    expect(failuresRecorded()).toBe(0);
  });

  test('refuses an expired session at once, without waiting for a verdict', async () => {
    dynamoMock.on(UpdateCommand, { Key: { sk: `LIVENESS#${SESSION_ID}` } }).rejects(conditionalCheckFailed());
    storeItem(`USER#${SUB}`, `LIVENESS#${SESSION_ID}`, { used: false, expiresAt: nowSeconds() - 1 });
    const verdictReads = () => dynamoMock.commandCalls(GetCommand, { Key: { sk: `VERDICT#LIVENESS#${SESSION_ID}` } }).length;
    expect(await answerCorrect()).toBe(false);
    expect(verdictReads()).toBe(1);
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(failuresRecorded()).toBe(0);
  });

  test('refuses a session that was never issued to this user at once', async () => {
    dynamoMock.on(UpdateCommand, { Key: { sk: `LIVENESS#${SESSION_ID}` } }).rejects(conditionalCheckFailed());
    const verdictReads = () => dynamoMock.commandCalls(GetCommand, { Key: { sk: `VERDICT#LIVENESS#${SESSION_ID}` } }).length;
    expect(await answerCorrect()).toBe(false);
    expect(verdictReads()).toBe(1);
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('rejects a replayed session that no run decided, by the deadline', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    dynamoMock.on(UpdateCommand, { Key: { sk: `LIVENESS#${SESSION_ID}` } }).rejects(conditionalCheckFailed());
    storeItem(`USER#${SUB}`, `LIVENESS#${SESSION_ID}`, { used: true });
    const answering = handler(verifyEvent('liveness-answer'));
    await jest.advanceTimersByTimeAsync(ANSWER_BUDGET_MS);
    expect((await answering).response.answerCorrect).toBe(false);
    expect(rekognitionMock.calls()).toHaveLength(0);
  });
});

describe('verify auth challenge: lockout', () => {
  /** The time a failure count starts from. */
  const countedFrom = (query: Record<string, unknown>) =>
    Number(String((query.ExpressionAttributeValues as Record<string, string>)[':from']).split('#')[1]);

  /**
   * The table's answers to the failure counts: within the window, within the day, and the places held (failures and
   * checks) within the window and within the day.
   */
  function countsFailures({
    inWindow,
    inDay,
    held = 1,
    heldToday = held,
  }: {
    inWindow: number;
    inDay: number;
    held?: number;
    heldToday?: number;
  }) {
    dynamoMock.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
      if (!input.FilterExpression) return { Count: countedFrom(input) === NOW_MS - 180_000 ? held : heldToday };
      return { Count: countedFrom(input) === NOW_MS - 180_000 ? inWindow : inDay };
    });
  }

  test.each([
    ['a liveness check that FAILED', () => livenessResult({ Status: 'FAILED' })],
    ['a liveness check below the confidence threshold', () => livenessResult({ Confidence: 50 })],
    ['a face that does not match', () => rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH)],
    [
      'a reference image with two faces',
      () => rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [{ Similarity: 99 }], UnmatchedFaces: [{}] }),
    ],
    ['a face check of a user without an enrollment', () => dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({})],
  ])('counts %s', async (_case, arrange) => {
    arrange();
    expect(await answerCorrect()).toBe(false);
    expect(failuresRecorded()).toBe(1);
  });

  test.each([
    ['a wrong string for an answer', 'wrong-answer', () => undefined],
    ['a session nobody streamed (CREATED)', 'liveness-answer', () => livenessResult({ Status: 'CREATED' })],
    ['a session still IN_PROGRESS', 'liveness-answer', () => livenessResult({ Status: 'IN_PROGRESS' })],
    ['a session that EXPIRED unstreamed', 'liveness-answer', () => livenessResult({ Status: 'EXPIRED' })],
    [
      "a reference image outside the user's prefix",
      'liveness-answer',
      () => livenessResult({ ReferenceImage: { S3Object: { Bucket: BUCKET, Name: 'x.jpg' } } }),
    ],
  ])('never counts %s', async (_case, name, arrange) => {
    arrange();
    expect(await answerCorrect(name)).toBe(false);
    expect(failuresRecorded()).toBe(0);
  });

  test('records a failed check under the user, kept a day for the daily limit', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    await answerCorrect();
    const [failure] = recordedFailures();
    expect(failure!.pk).toBe(`USER#${SUB}`);
    expect(failure!.sk).toMatch(new RegExp(`^FAILURE#${String(NOW_MS).padStart(15, '0')}#[0-9a-f-]{36}$`));
    expect(failure!.expiresAt).toBe(nowSeconds() + 86400);
  });

  test('counts the failures within the window, and within the day, and never the checks in progress', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    await answerCorrect();
    const failureCounts = receivedInputs(dynamoMock, QueryCommand).filter((query) => query.FilterExpression);
    expect(failureCounts.map(countedFrom)).toEqual([NOW_MS - 180_000, NOW_MS - 86_400_000]);
    expect(failureCounts.map((query) => query.FilterExpression)).toEqual(Array(2).fill('attribute_not_exists(checking)'));
  });

  test.each([
    ['a face check', 'liveness-answer'],
    ['an email code', 'email-code-answer'],
  ])('holds a place in the window while %s runs, and releases it after', async (_case, name) => {
    await answerCorrect(name);
    const [place] = checkPlacesHeld();
    expect(place).toMatchObject({ pk: `USER#${SUB}`, expiresAt: nowSeconds() + 180 });
    expect(receivedInputs(dynamoMock, DeleteCommand)).toContainEqual(
      expect.objectContaining({ Key: { pk: `USER#${SUB}`, sk: place!.sk } }),
    );
  });

  test.each([
    ['a face check', 'liveness-answer'],
    ['an email code', 'email-code-answer'],
  ])('refuses %s unchecked when failures and checks in progress fill the window', async (_case, name) => {
    countsFailures({ inWindow: 3, inDay: 3, held: 6 });
    expect(await answerCorrect(name)).toBe(false);
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(putItems('VERDICT#')).toEqual([expect.objectContaining({ passed: false, counted: false })]);
    expect(failuresRecorded()).toBe(0);
    expect(receivedInputs(dynamoMock, DeleteCommand)).toContainEqual(
      expect.objectContaining({ Key: { pk: `USER#${SUB}`, sk: checkPlacesHeld()[0]!.sk } }),
    );
  });

  test('refuses an answer unchecked when failures and checks in progress fill the day, though not the window', async () => {
    countsFailures({ inWindow: 0, inDay: 19, held: 2, heldToday: 21 });
    expect(await answerCorrect()).toBe(false);
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(failuresRecorded()).toBe(0);
  });

  test('checks the answer when failures and checks in progress fill the day to its limit, itself included', async () => {
    countsFailures({ inWindow: 0, inDay: 19, held: 1, heldToday: 20 });
    expect(await answerCorrect()).toBe(true);
  });

  test("takes no place for a retried liveness answer that awaits the first run's verdict", async () => {
    consumedByAnotherRun({ passed: true, counted: false });
    countsFailures({ inWindow: 4, inDay: 4, held: 6 });
    expect(await answerCorrect()).toBe(true);
    expect(checkPlacesHeld()).toEqual([]);
  });

  test('records the failure before it releases the place, so that a check starting between them still counts it', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    await answerCorrect();
    const calls = awsCallNames();
    const failure = calls.lastIndexOf('DynamoDB.PutCommand');
    expect(recordedFailures()).toHaveLength(1);
    expect(failure).toBeLessThan(calls.lastIndexOf('DynamoDB.DeleteCommand'));
  });

  test('checks the answer when failures and checks in progress fill the window to its limit, itself included', async () => {
    countsFailures({ inWindow: 3, inDay: 3, held: 5 });
    expect(await answerCorrect()).toBe(true);
  });

  test('counts its place in the window and in the day from their starts onward, later times included', async () => {
    await answerCorrect();
    const held = receivedInputs(dynamoMock, QueryCommand).filter((query) => !query.FilterExpression);
    expect(held.map(countedFrom)).toEqual([NOW_MS - 180_000, NOW_MS - 86_400_000]);
    expect(held.map((query) => (query.ExpressionAttributeValues as Record<string, string>)[':to'])).toEqual(['FAILURE#~', 'FAILURE#~']);
  });

  test.each([
    ['for LOCKOUT_MINUTES at the fifth failure within the window', { inWindow: 5, inDay: 5 }, 30 * 60],
    ['for a day at the twentieth failure within a day, though fewer failed within the window', { inWindow: 2, inDay: 20 }, 86400],
  ])('locks the user %s', async (_case, counts, lockSeconds) => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    countsFailures(counts);
    await answerCorrect();
    expect(putItems('LOCKOUT')).toEqual([expect.objectContaining({ pk: `USER#${SUB}`, lockedUntil: nowSeconds() + lockSeconds })]);
    expect(metrics).toContainEqual({ name: 'Lockout' });
  });

  test('locks the user for the longer of the two when both limits are reached and LOCKOUT_MINUTES is over a day', async () => {
    const lockingForTwoDays = makeHandler(testParts({ clock, env: { LOCKOUT_MINUTES: '2880' } }));
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    countsFailures({ inWindow: 5, inDay: 20 });
    await lockingForTwoDays(verifyEvent('liveness-answer'));
    expect(putItems('LOCKOUT')).toEqual([expect.objectContaining({ lockedUntil: nowSeconds() + 2 * 86400 })]);
  });

  test.each([
    ['the fourth failure within the window', { inWindow: 4, inDay: 4 }],
    ['the nineteenth failure within a day', { inWindow: 2, inDay: 19 }],
  ])('does not lock the user at %s', async (_case, counts) => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    countsFailures(counts);
    await answerCorrect();
    expect(putItems('LOCKOUT')).toEqual([]);
  });

  test('never extends a lock in force: a refused lock write counts no lockout', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    countsFailures({ inWindow: 6, inDay: 6 });
    dynamoMock.on(PutCommand, { Item: { sk: 'LOCKOUT' } }).rejects(conditionalCheckFailed());
    expect(await answerCorrect()).toBe(false);
    expect(putItems('LOCKOUT')).toHaveLength(1);
    expect(metrics).not.toContainEqual({ name: 'Lockout' });
  });

  test.each(['liveness-answer', 'email-code-answer', 'enroll-answer'])(
    "refuses a locked user's %s without checking or writing anything",
    async (name) => {
      lock(SUB);
      expect(await answerCorrect(name)).toBe(false);
      expect(awsCallNames()).toEqual(['DynamoDB.GetCommand']);
    },
  );

  test('still answers false when the failure cannot be recorded', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    dynamoMock.on(PutCommand, { Item: { sk: `FAILURE#` } }).rejects(serviceError('ProvisionedThroughputExceededException'));
    dynamoMock.on(QueryCommand).rejects(serviceError('ProvisionedThroughputExceededException'));
    expect(await answerCorrect()).toBe(false);
  });
});

describe('verify auth challenge: unknown usernames', () => {
  const DECOY_SESSION = verifyEvent('user-not-found').request.privateChallengeParameters.sessionId!;
  const pseudo = UNKNOWN_PSEUDO_SUB;

  beforeEach(() => {
    rekognitionMock
      .on(GetFaceLivenessSessionResultsCommand, { SessionId: DECOY_SESSION })
      .resolves(succeeded({ SessionId: DECOY_SESSION }, referenceKey(pseudo, DECOY_SESSION)));
  });

  test('fail the face check', async () => {
    expect(await answerCorrect('user-not-found')).toBe(false);
  });

  test('cost the same AWS calls, in the same order, as an enrolled user whose face does not match', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves(NO_MATCH);
    await answerCorrect('liveness-answer');
    const enrolled = awsCallNames();
    forgetAwsCalls();
    await answerCorrect('user-not-found');
    expect(awsCallNames()).toEqual(enrolled);
  });

  test('consume the session and count the failure under the pseudo-identity', async () => {
    await answerCorrect('user-not-found');
    expect(receivedInputs(dynamoMock, UpdateCommand)).toEqual([
      expect.objectContaining({ Key: { pk: `USER#${pseudo}`, sk: `LIVENESS#${DECOY_SESSION}` } }),
    ]);
    expect(recordedFailures()).toEqual([expect.objectContaining({ pk: `USER#${pseudo}` })]);
  });

  test('are refused without any write while the pseudo-identity is locked', async () => {
    lock(pseudo);
    expect(await answerCorrect('user-not-found')).toBe(false);
    expect(writeCallNames()).toEqual([]);
  });
});

describe('verify auth challenge: ID photo upload', () => {
  const decided = (status: string, extra: Record<string, unknown> = {}) => issueKey(SUB, ENROLL_KEY, { status, ...extra });
  const accepted = {
    faceId: NEW_FACE_ID,
    photoKey: `id-photos/${SUB}/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a.jpg`,
    uploadedAt: '2026-11-21T15:30:12.000Z',
  };

  beforeEach(() => {
    dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({});
    // Verify leaves an upload to the S3 event's run for a moment before it checks the photo itself: fake time runs through it.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });

  async function answerUpload(change?: (event: Event) => void): Promise<boolean> {
    const answering = answerCorrect('enroll-answer', change);
    await jest.advanceTimersByTimeAsync(UPLOAD_EVENT_GRACE_MS);
    return answering;
  }

  test('accepts the answer when the photo at the issued key was accepted and is the current enrollment', async () => {
    decided('ACCEPTED', accepted);
    storeEnrollment(SUB, { state: 'PROVISIONAL', key: ENROLL_KEY, ...accepted });
    expect(await answerUpload()).toBe(true);
  });

  test('checks and enrolls the photo itself when the upload event has not been processed yet', async () => {
    issueKey(SUB, ENROLL_KEY);
    expect(await answerUpload()).toBe(true);
    expect(receivedInputs(s3Mock, HeadObjectCommand)).toEqual([{ Bucket: BUCKET, Key: ENROLL_KEY }]);
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(1);
  });

  test('claims the decision on the photo for its own budget when it checks the photo itself', async () => {
    issueKey(SUB, ENROLL_KEY);
    await answerUpload();
    expect(receivedInputs(dynamoMock, UpdateCommand)).toContainEqual(
      expect.objectContaining({
        Key: { pk: `USER#${SUB}`, sk: `ENROLLMENT#${ENROLL_KEY}` },
        UpdateExpression: 'SET decidingUntil = :until',
        ExpressionAttributeValues: { ':issued': 'ISSUED', ':now': NOW_MS, ':until': NOW_MS + ANSWER_BUDGET_MS },
      }),
    );
  });

  test('waits for the decision of the upload event that claimed the photo first, instead of checking it again', async () => {
    const decision = { key: ENROLL_KEY, status: 'ACCEPTED', ...accepted };
    dynamoMock
      .on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } })
      .resolvesOnce({ Item: { key: ENROLL_KEY, status: 'ISSUED', decidingUntil: NOW_MS + 27_000 } })
      .resolves({ Item: decision });
    storeEnrollment(SUB, { state: 'PROVISIONAL', ...decision });
    expect(await answerUpload()).toBe(true);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
  });

  test('answers false by its deadline while the upload event still decides, and indexes nothing', async () => {
    issueKey(SUB, ENROLL_KEY, { status: 'ISSUED', decidingUntil: NOW_MS + 27_000 });
    const answering = handler(verifyEvent('enroll-answer'));
    await jest.advanceTimersByTimeAsync(ANSWER_BUDGET_MS);
    expect((await answering).response.answerCorrect).toBe(false);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
  });

  test('leaves an upload nobody claimed to the S3 event for a moment, and waits for its run once that claims it', async () => {
    const decision = { key: ENROLL_KEY, status: 'ACCEPTED', ...accepted };
    dynamoMock
      .on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } })
      .resolvesOnce({ Item: { key: ENROLL_KEY, status: 'ISSUED' } })
      .resolvesOnce({ Item: { key: ENROLL_KEY, status: 'ISSUED', decidingUntil: NOW_MS + 27_000 } })
      .resolves({ Item: decision });
    storeEnrollment(SUB, { state: 'PROVISIONAL', ...decision });
    expect(await answerUpload()).toBe(true);
    expect(receivedInputs(dynamoMock, UpdateCommand).filter((input) => input.UpdateExpression === 'SET decidingUntil = :until')).toEqual(
      [],
    );
    expect(rekognitionMock.commandCalls(IndexFacesCommand)).toHaveLength(0);
  });

  test('accepts the answer when the upload event decided the photo and removed the upload while this check ran', async () => {
    const decision = { key: ENROLL_KEY, status: 'ACCEPTED', ...accepted };
    let removed = false;
    dynamoMock
      .on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } })
      .callsFake(() => ({ Item: removed ? decision : { key: ENROLL_KEY, status: 'ISSUED' } }));
    dynamoMock
      .on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } })
      .resolvesOnce({})
      .resolves({ Item: { ...decision, state: 'PROVISIONAL', provisionalUntil: nowSeconds() + 3600 } });
    s3Mock.on(HeadObjectCommand).callsFake(() => {
      removed = true;
      throw serviceError('NotFound', 'NotFound', 404);
    });
    expect(await answerUpload()).toBe(true);
  });

  test('rejects the answer when the photo was rejected, without counting it toward lockout', async () => {
    decided('REJECTED', { reason: 'NO_FACE' });
    expect(await answerUpload()).toBe(false);
    expect(failuresRecorded()).toBe(0);
  });

  test('rejects the answer when the accepted photo could not become the enrollment', async () => {
    decided('ACCEPTED', accepted);
    dynamoMock.on(PutCommand, { Item: { sk: 'ACTIVE_ENROLLMENT' } }).rejects(conditionalCheckFailed());
    expect(await answerUpload()).toBe(false);
  });

  test.each([
    ['404', serviceError('NotFound', 'NotFound', 404)],
    ['403 Forbidden, as S3 answers a missing key without s3:ListBucket', serviceError('Forbidden', 'Forbidden', 403)],
    ['403 with no error code, as a HEAD response has no body', serviceError('UnknownError', 'UnknownError', 403)],
  ])('rejects the answer when nothing was uploaded to the key (HeadObject %s)', async (_case, error) => {
    issueKey(SUB, ENROLL_KEY);
    s3Mock.on(HeadObjectCommand).rejects(error);
    expect(await answerUpload()).toBe(false);
    expect(failuresRecorded()).toBe(0);
  });

  test('rejects a key that was never issued, without looking at S3', async () => {
    expect(await answerUpload()).toBe(false);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  test.each([
    ['a key for another sub', (event: Event) => (event.request.privateChallengeParameters.key = ENROLL_KEY.replace(SUB, OTHER_SUB))],
    ['an answer other than "uploaded"', (event: Event) => (event.request.challengeAnswer = 'ACCEPTED')],
    ['a challenge without a key', (event: Event) => delete event.request.privateChallengeParameters.key],
  ])('rejects %s without looking anything up', async (_case, change) => {
    decided('ACCEPTED', accepted);
    expect(await answerUpload(change)).toBe(false);
    expect(awsCallNames()).toEqual(['DynamoDB.GetCommand']);
  });
});

describe('verify auth challenge: errors and the deadline', () => {
  test('answers false instead of throwing when an AWS call fails', async () => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));
    expect(await answerCorrect()).toBe(false);
  });

  test("sends every AWS call with the deadline's abort signal", async () => {
    await answerCorrect();
    const signals = abortSignals();
    expect(signals.length).toBeGreaterThan(3);
    expect(signals.every((signal) => signal instanceof AbortSignal)).toBe(true);
  });

  test('answers false, in time for Cognito, when the check outlasts its budget, and aborts the call in flight', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).callsFake(() => new Promise(() => undefined));
    const answering = handler(verifyEvent('liveness-answer'));
    await jest.advanceTimersByTimeAsync(ANSWER_BUDGET_MS);
    expect((await answering).response.answerCorrect).toBe(false);
    const inFlight = awsCallNames().indexOf('Rekognition.GetFaceLivenessSessionResultsCommand');
    expect(abortSignals()[inFlight]?.aborted).toBe(true);
  });
});

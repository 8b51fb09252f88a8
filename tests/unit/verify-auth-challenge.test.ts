import './support/env';
import { jest } from '@jest/globals';
import {
  CompareFacesCommand,
  GetFaceLivenessSessionResultsCommand,
  IndexFacesCommand,
  SearchFacesByImageCommand,
  type GetFaceLivenessSessionResultsCommandOutput,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ANSWER_BUDGET_MS, handler } from '../../functions/verify-auth-challenge/handler';
import {
  awsCallNames,
  conditionalCheckFailed,
  dynamoMock,
  objectBody,
  rekognitionMock,
  receivedInputs, resetAwsMocks,
  s3Mock,
  serviceError,
} from './support/aws-mocks';
import { BUCKET } from './support/env';
import { ENROLL_KEY, OTHER_SUB, SESSION_ID, SUB, verifyEvent } from './support/events';

const ENROLLED_KEY = `enrollment/${SUB}/0e4a7c19-5b2d-4f36-8a91-c7d3e5f60b28.jpg`;
const REFERENCE_KEY = `liveness/${SUB}/${SESSION_ID}/reference.jpg`;
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);

const succeeded = (overrides: Partial<GetFaceLivenessSessionResultsCommandOutput> = {}) => ({
  SessionId: SESSION_ID,
  Status: 'SUCCEEDED' as const,
  Confidence: 98.7,
  ReferenceImage: { S3Object: { Bucket: BUCKET, Name: REFERENCE_KEY } },
  ...overrides,
});

/** Everything in place for a liveness answer that should pass; tests break one condition each. */
function arrangePassingLiveness(): void {
  dynamoMock.on(GetCommand, { Key: { sk: 'LOCKOUT' } }).resolves({});
  dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({
    Item: { key: ENROLLED_KEY, faceId: 'face-1', uploadedAt: '2026-11-20T10:00:00.000Z' },
  });
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(PutCommand).resolves({});
  dynamoMock.on(QueryCommand).resolves({ Count: 1 });
  rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded());
  rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [{ Similarity: 99.2, Face: {} }], UnmatchedFaces: [] });
}

async function answerCorrect(name = 'liveness-answer', change?: (event: ReturnType<typeof verifyEvent>) => void): Promise<boolean> {
  const event = verifyEvent(name);
  change?.(event);
  return (await handler(event)).response.answerCorrect;
}

const failuresRecorded = () =>
  dynamoMock.commandCalls(PutCommand).filter((call) => String(call.args[0].input.Item?.sk).startsWith('FAILURE#')).length;

beforeEach(() => {
  resetAwsMocks();
  arrangePassingLiveness();
});

describe('verify auth challenge: liveness', () => {
  test('accepts a live face that matches the enrolled ID photo', async () => {
    expect(await answerCorrect()).toBe(true);
    expect(failuresRecorded()).toBe(0);
  });

  test('compares the enrolled ID photo with the liveness reference image at the configured threshold', async () => {
    await answerCorrect();
    expect(receivedInputs(rekognitionMock, CompareFacesCommand)).toContainEqual(expect.objectContaining({
      SourceImage: { S3Object: { Bucket: BUCKET, Name: ENROLLED_KEY } },
      TargetImage: { S3Object: { Bucket: BUCKET, Name: REFERENCE_KEY } },
      SimilarityThreshold: 90,
    }));
  });

  test('marks the session used with a conditional write under this user', async () => {
    await answerCorrect();
    expect(receivedInputs(dynamoMock, UpdateCommand)).toContainEqual(expect.objectContaining({
      Key: { pk: `USER#${SUB}`, sk: `LIVENESS#${SESSION_ID}` },
      ConditionExpression: 'attribute_exists(pk) AND used = :false AND expiresAt > :now',
    }));
  });

  test('rejects a replayed liveness session id', async () => {
    dynamoMock.on(UpdateCommand).rejects(conditionalCheckFailed());
    expect(await answerCorrect()).toBe(false);
    expect(rekognitionMock.commandCalls(GetFaceLivenessSessionResultsCommand)).toHaveLength(0);
  });

  test("rejects another user's session id", async () => {
    const otherUsersSession = 'e2b7c4d1-8f3a-4b6c-9d0e-1f2a3b4c5d6e';
    expect(await answerCorrect('liveness-answer', (event) => (event.request.challengeAnswer = otherUsersSession))).toBe(false);
    expect(dynamoMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  test('rejects a session id the server never issued', async () => {
    expect(await answerCorrect('wrong-answer')).toBe(false);
    expect(rekognitionMock.commandCalls(GetFaceLivenessSessionResultsCommand)).toHaveLength(0);
  });

  test('rejects an answer to a challenge that carries no session id', async () => {
    const changed = (event: ReturnType<typeof verifyEvent>) => {
      delete event.request.privateChallengeParameters.sessionId;
      event.request.challengeAnswer = '';
    };
    expect(await answerCorrect('liveness-answer', changed)).toBe(false);
  });

  test.each(['EXPIRED', 'IN_PROGRESS', 'FAILED', 'CREATED'] as const)('rejects a liveness result that is %s', async (Status) => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded({ Status }));
    expect(await answerCorrect()).toBe(false);
    expect(rekognitionMock.commandCalls(CompareFacesCommand)).toHaveLength(0);
  });

  test('rejects a liveness result that SUCCEEDED below the liveness threshold', async () => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded({ Confidence: 89.99 }));
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a reference image in another bucket', async () => {
    const ReferenceImage = { S3Object: { Bucket: 'attacker-bucket', Name: REFERENCE_KEY } };
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded({ ReferenceImage }));
    expect(await answerCorrect()).toBe(false);
  });

  test("rejects a reference image under another user's prefix", async () => {
    const ReferenceImage = { S3Object: { Bucket: BUCKET, Name: `liveness/${OTHER_SUB}/x/reference.jpg` } };
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded({ ReferenceImage }));
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a reference image that was not stored in S3', async () => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves(succeeded({ ReferenceImage: { Bytes: JPEG } }));
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a face that matches below 90', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [], UnmatchedFaces: [{ Confidence: 99.9 }] });
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a match reported below the similarity threshold', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [{ Similarity: 89.9, Face: {} }], UnmatchedFaces: [] });
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a reference image with two faces even when one matches', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [{ Similarity: 99.5, Face: {} }], UnmatchedFaces: [{ Confidence: 99 }] });
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a reference image without a face', async () => {
    rekognitionMock.on(CompareFacesCommand).resolves({ FaceMatches: [], UnmatchedFaces: [] });
    expect(await answerCorrect()).toBe(false);
  });

  test('rejects a user without an active enrolment', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: 'ACTIVE_ENROLLMENT' } }).resolves({});
    expect(await answerCorrect()).toBe(false);
    expect(rekognitionMock.commandCalls(CompareFacesCommand)).toHaveLength(0);
  });

  test('ignores client metadata that claims success', async () => {
    expect(await answerCorrect('client-metadata-claims-success')).toBe(false);
  });

  test('rejects a user in lockout before checking anything', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: 'LOCKOUT' } }).resolves({ Item: { lockedUntil: Math.floor(Date.now() / 1000) + 900 } });
    expect(await answerCorrect()).toBe(false);
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  test('answers false instead of throwing when an AWS call fails', async () => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).rejects(serviceError('ThrottlingException'));
    expect(await answerCorrect()).toBe(false);
    expect(failuresRecorded()).toBe(1);
  });

  test('answers false, in time for Cognito, when the check outlasts its budget', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      rekognitionMock.on(GetFaceLivenessSessionResultsCommand).callsFake(() => new Promise(() => undefined));
      const answering = handler(verifyEvent('liveness-answer'));
      await jest.advanceTimersByTimeAsync(ANSWER_BUDGET_MS);
      expect((await answering).response.answerCorrect).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  test('keeps the answer budget inside the 5 s Cognito gives a trigger', () => {
    expect(ANSWER_BUDGET_MS).toBeLessThan(5000);
  });

  test('answers false for an unknown step', async () => {
    expect(await answerCorrect('liveness-answer', (event) => (event.request.privateChallengeParameters.step = 'ISSUE_TOKENS'))).toBe(false);
  });

  test('answers false for an unknown user without any AWS call', async () => {
    const changed = (event: ReturnType<typeof verifyEvent>) => {
      event.request.userNotFound = true;
      event.request.userAttributes = {};
    };
    expect(await answerCorrect('liveness-answer', changed)).toBe(false);
    expect(awsCallNames()).toEqual([]);
  });

  test('answers false for a user record without a sub', async () => {
    expect(await answerCorrect('liveness-answer', (event) => delete (event.request.userAttributes as Record<string, string>).sub)).toBe(false);
  });
});

describe('verify auth challenge: lockout accounting', () => {
  test('records every wrong answer as a failed check that expires with the window', async () => {
    const before = Math.floor(Date.now() / 1000);
    await answerCorrect('wrong-answer');
    const put = dynamoMock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.Item!.pk).toBe(`USER#${SUB}`);
    expect(put.Item!.sk).toMatch(/^FAILURE#\d{15}#[0-9a-f-]{36}$/);
    expect(put.Item!.expiresAt).toBeGreaterThanOrEqual(before + 180);
  });

  test('counts the failures within the window only', async () => {
    const now = Date.now();
    await answerCorrect('wrong-answer');
    const query = dynamoMock.commandCalls(QueryCommand)[0]!.args[0].input;
    const from = Number(String(query.ExpressionAttributeValues![':from']).split('#')[1]);
    // The window starts LOCKOUT_WINDOW_SECONDS before the failure, which the handler timed just after `now`.
    expect(from).toBeGreaterThanOrEqual(now - 180_000);
    expect(from - (now - 180_000)).toBeLessThan(1000);
  });

  test('locks the user for LOCKOUT_MINUTES at the fifth failure within the window', async () => {
    dynamoMock.on(QueryCommand).resolves({ Count: 5 });
    const before = Math.floor(Date.now() / 1000);
    await answerCorrect('wrong-answer');
    const lockout = dynamoMock.commandCalls(PutCommand).find((call) => call.args[0].input.Item?.sk === 'LOCKOUT');
    expect(lockout).toBeDefined();
    expect(lockout!.args[0].input.Item!.lockedUntil).toBeGreaterThanOrEqual(before + 30 * 60);
  });

  test('does not lock the user at the fourth failure within the window', async () => {
    dynamoMock.on(QueryCommand).resolves({ Count: 4 });
    await answerCorrect('wrong-answer');
    expect(dynamoMock.commandCalls(PutCommand).some((call) => call.args[0].input.Item?.sk === 'LOCKOUT')).toBe(false);
  });

  test('still answers false when the failure cannot be recorded', async () => {
    dynamoMock.on(PutCommand).rejects(serviceError('ProvisionedThroughputExceededException'));
    expect(await answerCorrect('wrong-answer')).toBe(false);
  });
});

describe('verify auth challenge: enrolment', () => {
  const decided = (status: string, reason?: string) => ({
    Item: { key: ENROLL_KEY, status, reason, faceId: status === 'ACCEPTED' ? 'face-9' : undefined, uploadedAt: '2026-11-21T15:30:12.000Z' },
  });

  test('accepts the enrolment answer when the photo at the issued key was accepted', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } }).resolves(decided('ACCEPTED'));
    expect(await answerCorrect('enroll-answer')).toBe(true);
    expect(receivedInputs(dynamoMock, GetCommand)).toContainEqual(expect.objectContaining({ Key: { pk: `USER#${SUB}`, sk: `ENROLLMENT#${ENROLL_KEY}` } }));
  });

  test('rejects the enrolment answer when the photo was rejected', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } }).resolves(decided('REJECTED', 'NO_FACE'));
    expect(await answerCorrect('enroll-answer')).toBe(false);
    expect(failuresRecorded()).toBe(1);
  });

  test('indexes the photo itself when the upload event has not been processed yet', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } }).resolves({});
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: JPEG.length, ContentType: 'image/jpeg' });
    s3Mock.on(GetObjectCommand).resolves({ Body: objectBody(JPEG), LastModified: new Date() });
    rekognitionMock.on(SearchFacesByImageCommand).resolves({ FaceMatches: [] });
    rekognitionMock.on(IndexFacesCommand).resolves({ FaceRecords: [{ Face: { FaceId: 'face-new' } }], UnindexedFaces: [] });
    expect(await answerCorrect('enroll-answer')).toBe(true);
    expect(receivedInputs(s3Mock, HeadObjectCommand)).toContainEqual(expect.objectContaining({ Bucket: BUCKET, Key: ENROLL_KEY }));
  });

  test('rejects the enrolment answer when nothing was uploaded to the key', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } }).resolves({});
    s3Mock.on(HeadObjectCommand).rejects(serviceError('NotFound'));
    expect(await answerCorrect('enroll-answer')).toBe(false);
    expect(failuresRecorded()).toBe(1);
  });

  test('rejects an enrolment key for another sub', async () => {
    const otherKey = ENROLL_KEY.replace(SUB, OTHER_SUB);
    dynamoMock.on(GetCommand).resolves(decided('ACCEPTED'));
    expect(await answerCorrect('enroll-answer', (event) => (event.request.privateChallengeParameters.key = otherKey))).toBe(false);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('rejects an enrolment answer other than "uploaded"', async () => {
    dynamoMock.on(GetCommand, { Key: { sk: `ENROLLMENT#${ENROLL_KEY}` } }).resolves(decided('ACCEPTED'));
    expect(await answerCorrect('enroll-answer', (event) => (event.request.challengeAnswer = 'ACCEPTED'))).toBe(false);
  });

  test('rejects an enrolment challenge without a key', async () => {
    expect(await answerCorrect('enroll-answer', (event) => delete event.request.privateChallengeParameters.key)).toBe(false);
  });
});

import { jest } from '@jest/globals';
import { CompareFacesCommand, CreateFaceLivenessSessionCommand, GetFaceLivenessSessionResultsCommand } from '@aws-sdk/client-rekognition';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { makeHandler as makeCreate } from '../../functions/create-auth-challenge/handler';
import { makeHandler as makeVerify } from '../../functions/verify-auth-challenge/handler';
import { describeError, logger, redactEvent } from '../../functions/lib/logger';
import {
  arrangeEmptyTable,
  receivedInputs,
  rekognitionMock,
  resetAwsMocks,
  s3Mock,
  serviceError,
  sesMock,
  storeEnrollment,
} from './support/aws-mocks';
import { createEvent, EMAIL_CODE_ANSWER, EMAIL_CODE_ISSUED_AT_MS, ENROLL_KEY, SESSION_ID, SUB, verifyEvent } from './support/events';
import { FakeClock, testParts } from './support/parts';
import { issueKey } from './support/photos';

const LIVE_SESSION = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const clock = new FakeClock();
const createChallenge = makeCreate(testParts({ clock }));
const verifyChallenge = makeVerify(testParts({ clock }));

/** Everything the logger writes (stdout and stderr) while `run` runs, at the given level. */
async function captureLogs(level: 'DEBUG' | 'INFO', run: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  // Warnings and errors go to stderr.
  const writes = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  logger.setLogLevel(level);
  try {
    await run().catch(() => undefined);
  } finally {
    logger.setLogLevel('SILENT');
    for (const write of writes) write.mockRestore();
  }
  return lines.join('');
}

const entriesOf = (logs: string) =>
  logs
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

beforeEach(() => {
  resetAwsMocks();
  arrangeEmptyTable();
  rekognitionMock.on(CreateFaceLivenessSessionCommand).resolves({ SessionId: LIVE_SESSION });
  sesMock.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
});

afterEach(() => jest.restoreAllMocks());

describe('logging', () => {
  test('never logs the email code, even at DEBUG', async () => {
    let issued: Awaited<ReturnType<typeof createChallenge>> | undefined;
    const logs = await captureLogs('DEBUG', async () => (issued = await createChallenge(createEvent('email-code'))));
    const subject = String(
      (receivedInputs(sesMock, SendEmailCommand)[0]!.Content as { Simple: { Subject: { Data: string } } }).Simple.Subject.Data,
    );
    const code = /\d{6}/.exec(subject)![0];
    expect(logs).toContain('email code sent');
    expect(logs).not.toContain(code);
    expect(logs).not.toContain(issued!.response.privateChallengeParameters.codeHash);
  });

  test('never logs an email code answer or the hash it is checked against, even at DEBUG', async () => {
    clock.set(EMAIL_CODE_ISSUED_AT_MS + 60_000);
    const event = verifyEvent('email-code-answer');
    const logs = await captureLogs('DEBUG', () => verifyChallenge(event));
    expect(logs).toContain('email code checked');
    expect(logs).not.toContain(EMAIL_CODE_ANSWER);
    expect(logs).not.toContain(event.request.privateChallengeParameters.codeHash);
  });

  test('never logs the presigned upload URL or its fields, even at DEBUG', async () => {
    let issued: Awaited<ReturnType<typeof createChallenge>> | undefined;
    const logs = await captureLogs('DEBUG', async () => (issued = await createChallenge(createEvent('enroll'))));
    const fields = JSON.parse(issued!.response.publicChallengeParameters.uploadFields!) as Record<string, string>;
    expect(logs).toContain('enrollment challenge issued');
    expect(logs).not.toContain(fields['X-Amz-Signature']);
    expect(logs).not.toContain(fields.Policy);
    expect(logs).not.toContain(fields['X-Amz-Credential']);
  });

  test('never logs the liveness session id, which is the expected answer', async () => {
    const logs = await captureLogs('DEBUG', () => createChallenge(createEvent('liveness')));
    expect(logs).toContain('liveness challenge issued');
    expect(logs).not.toContain(LIVE_SESSION);
  });

  test('never logs challenge answers or the session id, even at DEBUG', async () => {
    const event = verifyEvent('wrong-answer');
    const logs = await captureLogs('DEBUG', () => verifyChallenge(event));
    expect(logs).toContain('event received');
    expect(logs).not.toContain(String(event.request.challengeAnswer));
    expect(logs).not.toContain(SESSION_ID);
  });

  test('never logs the answer of a checked liveness session', async () => {
    storeEnrollment(SUB, { state: 'CONFIRMED' });
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves({ Status: 'FAILED' });
    rekognitionMock.on(CompareFacesCommand).resolves({});
    const logs = await captureLogs('INFO', () => verifyChallenge(verifyEvent('liveness-answer')));
    expect(logs).toContain('liveness check failed');
    expect(logs).not.toContain(SESSION_ID);
  });

  test('logs a liveness confidence under its threshold with the score, which tells a near miss from a photo', async () => {
    storeEnrollment(SUB, { state: 'CONFIRMED' });
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).resolves({ Status: 'SUCCEEDED', Confidence: 89.5 });
    const entries = entriesOf(await captureLogs('INFO', () => verifyChallenge(verifyEvent('liveness-answer'))));
    expect(entries).toContainEqual(
      expect.objectContaining({ message: 'liveness check failed', failure: 'LOW_CONFIDENCE', detail: '89.5' }),
    );
  });

  test('never logs the answer when an AWS call fails during the check', async () => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).rejects(serviceError('InternalServerError', 'service unavailable'));
    const event = verifyEvent('liveness-answer');
    const logs = await captureLogs('INFO', () => verifyChallenge(event));
    expect(logs).toContain('"errorName":"InternalServerError"');
    expect(logs).not.toContain(String(event.request.challengeAnswer));
  });

  test('logs an upload answer with no upload behind it as a plain refusal, not an error any client could raise', async () => {
    issueKey(SUB, ENROLL_KEY);
    s3Mock.on(HeadObjectCommand).rejects(serviceError('NotFound', 'NotFound', 404));
    const entries = entriesOf(await captureLogs('INFO', () => verifyChallenge(verifyEvent('enroll-answer'))));
    expect(entries).toContainEqual(expect.objectContaining({ level: 'INFO', why: 'no photo was uploaded at the issued key' }));
    expect(entries.filter((entry) => entry.level === 'ERROR')).toEqual([]);
  });

  test('logs the full cause of a failed request, which the caller never sees', async () => {
    sesMock.on(SendEmailCommand).rejects(serviceError('MessageRejected', 'Email address is not verified: sign-in@example.com'));
    let thrown: unknown;
    const logs = await captureLogs('INFO', () => createChallenge(createEvent('email-code')).catch((error: unknown) => (thrown = error)));
    expect(entriesOf(logs)).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'request failed',
        errorName: 'MessageRejected',
        errorMessage: 'Email address is not verified: sign-in@example.com',
      }),
    );
    expect((thrown as Error).message).toBe('Request failed.');
  });

  test('logs why a request was refused, which the caller never sees', async () => {
    const event = createEvent('email-code');
    event.request.challengeName = 'SMS_MFA';
    const logs = await captureLogs('INFO', () => createChallenge(event));
    expect(entriesOf(logs)).toContainEqual(
      expect.objectContaining({ level: 'INFO', message: 'request refused', why: 'challenge SMS_MFA' }),
    );
  });

  test('logs whole events only at DEBUG', async () => {
    const logs = await captureLogs('INFO', () => verifyChallenge(verifyEvent('wrong-answer')));
    expect(logs).toContain('answer refused');
    expect(logs).not.toContain('event received');
  });

  test('writes structured JSON lines', async () => {
    const logs = await captureLogs('INFO', () => verifyChallenge(verifyEvent('wrong-answer')));
    expect(entriesOf(logs)[0]).toMatchObject({ level: 'INFO', service: 'cognito-face-login' });
  });

  test('redacts secret fields at any depth of an event', () => {
    const redacted = redactEvent({
      request: { challengeAnswer: 'a', nested: [{ uploadFields: 'f', keep: 1 }] },
      clientMetadata: { x: 'y' },
    });
    expect(redacted).toEqual({
      request: { challengeAnswer: '[redacted]', nested: [{ uploadFields: '[redacted]', keep: 1 }] },
      clientMetadata: '[redacted]',
    });
  });

  test('describes a thrown non-error by its text', () => {
    expect(describeError('plain failure')).toEqual({ errorName: 'NonError', errorMessage: 'plain failure' });
  });
});

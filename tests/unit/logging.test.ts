import './support/env';
import { jest } from '@jest/globals';
import { CreateFaceLivenessSessionCommand, GetFaceLivenessSessionResultsCommand } from '@aws-sdk/client-rekognition';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler as createChallenge } from '../../functions/create-auth-challenge/handler';
import { handler as verifyChallenge } from '../../functions/verify-auth-challenge/handler';
import { describeError, logger, redactEvent } from '../../functions/lib/logger';
import { dynamoMock, rekognitionMock, resetAwsMocks, s3Mock, serviceError } from './support/aws-mocks';
import { createEvent, verifyEvent } from './support/events';

const LIVE_SESSION = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

/** Everything the logger writes (stdout and stderr) while `run` runs, at the given level. */
async function captureLogs(level: 'DEBUG' | 'INFO', run: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  // Warnings and errors go to stderr.
  const writes = [jest.spyOn(process.stdout, 'write').mockImplementation(record), jest.spyOn(process.stderr, 'write').mockImplementation(record)];
  logger.setLogLevel(level);
  try {
    await run();
  } finally {
    logger.setLogLevel('SILENT');
    for (const write of writes) write.mockRestore();
  }
  return lines.join('');
}

beforeEach(() => {
  resetAwsMocks();
  dynamoMock.on(GetCommand).resolves({});
  dynamoMock.on(PutCommand).resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(QueryCommand).resolves({ Count: 1 });
  rekognitionMock.on(CreateFaceLivenessSessionCommand).resolves({ SessionId: LIVE_SESSION });
});

describe('logging', () => {
  test('never logs the presigned upload URL or its fields, even at DEBUG', async () => {
    let issued: Awaited<ReturnType<typeof createChallenge>> | undefined;
    const logs = await captureLogs('DEBUG', async () => (issued = await createChallenge(createEvent('enroll'))));
    const fields = JSON.parse(issued!.response.publicChallengeParameters.uploadFields!) as Record<string, string>;
    expect(logs).toContain('enrolment challenge issued');
    expect(logs).not.toContain(fields['X-Amz-Signature']);
    expect(logs).not.toContain(fields.Policy);
    expect(logs).not.toContain(fields['X-Amz-Credential']);
  });

  test('never logs the liveness session id, which is the expected answer', async () => {
    const logs = await captureLogs('DEBUG', () => createChallenge(createEvent('liveness')));
    expect(logs).toContain('liveness challenge issued');
    expect(logs).not.toContain(LIVE_SESSION);
  });

  test('never logs challenge answers, even at DEBUG', async () => {
    const event = verifyEvent('wrong-answer');
    const logs = await captureLogs('DEBUG', () => verifyChallenge(event));
    expect(logs).toContain('event received');
    expect(logs).not.toContain(String(event.request.challengeAnswer));
    expect(logs).not.toContain(event.request.privateChallengeParameters.sessionId);
  });

  test('never logs the answer when an AWS call fails during the check', async () => {
    rekognitionMock.on(GetFaceLivenessSessionResultsCommand).rejects(serviceError('InternalServerError', 'service unavailable'));
    const event = verifyEvent('liveness-answer');
    const logs = await captureLogs('INFO', () => verifyChallenge(event));
    expect(logs).toContain('"errorName":"InternalServerError"');
    expect(logs).not.toContain(String(event.request.challengeAnswer));
  });

  test('logs an enrolment answer with no upload behind it as a plain refusal, not an error any client could raise', async () => {
    s3Mock.on(HeadObjectCommand).rejects(serviceError('NotFound'));
    const lines = (await captureLogs('INFO', () => verifyChallenge(verifyEvent('enroll-answer')))).trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as { level: string; why?: string });
    expect(entries).toContainEqual(expect.objectContaining({ level: 'INFO', why: 'no photo was uploaded at the issued key' }));
    expect(entries.filter((entry) => entry.level === 'ERROR')).toEqual([]);
  });

  test('logs whole events only at DEBUG', async () => {
    const logs = await captureLogs('INFO', () => verifyChallenge(verifyEvent('wrong-answer')));
    expect(logs).toContain('liveness check failed');
    expect(logs).not.toContain('event received');
  });

  test('writes structured JSON lines', async () => {
    const logs = await captureLogs('INFO', () => verifyChallenge(verifyEvent('wrong-answer')));
    const lines = logs.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'INFO', service: 'cognito-face-login' });
  });

  test('redacts secret fields at any depth of an event', () => {
    const redacted = redactEvent({ request: { challengeAnswer: 'a', nested: [{ uploadFields: 'f', keep: 1 }] }, clientMetadata: { x: 'y' } });
    expect(redacted).toEqual({ request: { challengeAnswer: '[redacted]', nested: [{ uploadFields: '[redacted]', keep: 1 }] }, clientMetadata: '[redacted]' });
  });

  test('describes a thrown non-error without its contents leaking structure', () => {
    expect(describeError('plain failure')).toEqual({ errorName: 'NonError', errorMessage: 'plain failure' });
  });
});

/**
 * Face Liveness end to end: sessions through @aws-sdk/client-rekognition, the stream through the Node client, the
 * decision from the video frames, against the server in a child process and s3rver.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  CompareFacesCommand,
  CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand,
  InvalidParameterException,
  SessionNotFoundException,
} from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import WebSocket from 'ws';
import { presignStreamUrl, runLivenessSession, type VideoSource } from '../../../local/rekognition/liveness-client/client';
import { decodeServerMessage } from '../../../local/rekognition/liveness/event-stream';
import type { RecordedFormat } from '../../../local/rekognition/liveness-client/synthetic-video';
import { locateFace, fixture, noFaceImage, REGION, startLivenessStack, startS3, temporaryDirectory, type LivenessStack } from './harness';

const BUCKET = 'face-login-test';
let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let s3: Awaited<ReturnType<typeof startS3>>;
let stack: LivenessStack;
/** A second server with a short session lifetime, a short idle timeout and a small video cap. */
let tight: LivenessStack;
let selfie: Buffer;
const TIGHT_LIFETIME_MS = 30_000;
/** Created first, streamed last, after the server's clock has been moved past its lifetime. */
let expiringSessionId: string;

beforeAll(async () => {
  directory = await temporaryDirectory('liveness-test-');
  s3 = await startS3(`${directory.path}/s3`, [BUCKET]);
  [stack, tight] = await Promise.all([
    startLivenessStack({ dataDir: `${directory.path}/main`, s3Endpoint: s3.endpoint }),
    startLivenessStack({
      dataDir: `${directory.path}/tight`,
      s3Endpoint: s3.endpoint,
      sessionLifetimeMs: TIGHT_LIFETIME_MS,
      limits: { idleTimeoutMs: 10_000, maxVideoBytes: 100_000 },
    }),
  ]);
  selfie = await fixture('liveness-selfie-angelina_jolie-img6.jpg');
  expiringSessionId = await createSession(tight);
}, 60_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), tight?.stop()]);
  await s3?.stop();
  await directory?.remove();
});

async function createSession(on: LivenessStack, settings: Record<string, unknown> = {}): Promise<string> {
  const { SessionId } = await on.rekognition.send(new CreateFaceLivenessSessionCommand({ Settings: settings }));
  return SessionId!;
}

const results = (on: LivenessStack, sessionId: string) =>
  on.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId: sessionId }));

const stream = (on: LivenessStack, sessionId: string, source: VideoSource, extra: { stopAfterChunks?: number } = {}) =>
  runLivenessSession({ endpoint: on.streamingEndpoint, ca: on.ca, region: REGION, sessionId, source, ...extra });

async function movingCloser(photo: Buffer, recording: RecordedFormat = 'webm'): Promise<VideoSource> {
  return { kind: 'moving-closer', photo, face: await locateFace(stack.rekognition, photo), recording };
}

describe('a complete session', () => {
  let sessionId: string;

  beforeAll(async () => {
    sessionId = await createSession(stack, {
      OutputConfig: { S3Bucket: BUCKET, S3KeyPrefix: 'liveness/user-1/' },
      AuditImagesLimit: 2,
    });
    const outcome = await stream(stack, sessionId, await movingCloser(selfie));
    expect(outcome.exceptions).toEqual([]);
    expect(outcome.disconnected).toBe(true);
  }, 60_000);

  it('succeeds with a confidence of at least 90', async () => {
    const output = await results(stack, sessionId);
    expect(output.Status).toBe('SUCCEEDED');
    expect(output.Confidence).toBeGreaterThanOrEqual(90);
    expect(output.Challenge).toEqual({ Type: 'FaceMovementAndLightChallenge', Version: '2.0.0' });
  });

  it('writes the reference and audit images to the output location as Rekognition lays them out', async () => {
    const output = await results(stack, sessionId);
    expect(output.ReferenceImage?.S3Object).toEqual({ Bucket: BUCKET, Name: `liveness/user-1/${sessionId}/reference.jpg` });
    expect(output.AuditImages?.map((image) => image.S3Object?.Name)).toEqual([
      `liveness/user-1/${sessionId}/audit_images/1.jpg`,
      `liveness/user-1/${sessionId}/audit_images/2.jpg`,
    ]);
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: output.ReferenceImage!.S3Object!.Name! }));
    const metadata = await sharp(Buffer.from(await stored.Body!.transformToByteArray())).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', 640, 480]);
    expect(output.ReferenceImage!.BoundingBox!.Width).toBeGreaterThan(0.2);
  });

  it('gives a reference image that matches another photo of the same person at 90 or more', async () => {
    const output = await results(stack, sessionId);
    const { FaceMatches } = await stack.rekognition.send(
      new CompareFacesCommand({
        SourceImage: { Bytes: await fixture('liveness-id-photo-angelina_jolie-img2.jpg') },
        TargetImage: { S3Object: output.ReferenceImage!.S3Object! },
        SimilarityThreshold: 90,
      }),
    );
    expect(FaceMatches?.[0]?.Similarity).toBeGreaterThanOrEqual(90);
  });

  it('refuses a second stream for the session it already ran, and keeps the result', async () => {
    const replay = await stream(stack, sessionId, await movingCloser(selfie));
    expect(replay.exceptions.map((e) => e.exception)).toEqual(['ValidationException']);
    expect(replay.serverChallenge).toBeUndefined();
    expect((await results(stack, sessionId)).Status).toBe('SUCCEEDED');
  });
});

it('runs FaceMovementChallenge when the session prefers it, and answers images as Bytes without an output location', async () => {
  const sessionId = await createSession(stack, { ChallengePreferences: [{ Type: 'FaceMovementChallenge' }] });
  const outcome = await stream(stack, sessionId, await movingCloser(selfie));
  expect(outcome.challengeType).toBe('FaceMovementChallenge');
  const output = await results(stack, sessionId);
  expect(output.Status).toBe('SUCCEEDED');
  expect(output.Challenge).toEqual({ Type: 'FaceMovementChallenge', Version: '1.0.0' });
  expect((await sharp(Buffer.from(output.ReferenceImage!.Bytes!)).metadata()).format).toBe('jpeg');
  expect(output.AuditImages).toEqual([]);
}, 60_000);

it('succeeds with a fragmented MP4 recording, as Safari makes', async () => {
  const sessionId = await createSession(stack);
  const outcome = await stream(stack, sessionId, await movingCloser(selfie, 'mp4'));
  expect(outcome.exceptions).toEqual([]);
  const output = await results(stack, sessionId);
  expect(output.Status).toBe('SUCCEEDED');
  expect(output.Confidence).toBeGreaterThanOrEqual(90);
}, 60_000);

it('fails a still image that never moves into the oval', async () => {
  const sessionId = await createSession(stack);
  const still = await sharp(selfie).resize(640, 480, { fit: 'contain', background: '#777' }).jpeg().toBuffer();
  const outcome = await stream(stack, sessionId, { kind: 'images', images: Array(10).fill(still), fps: 2 });
  expect(outcome.disconnected).toBe(true);
  const output = await results(stack, sessionId);
  expect([output.Status, output.Confidence, output.ReferenceImage]).toEqual(['FAILED', 0, undefined]);
}, 60_000);

it('fails a video with two faces', async () => {
  const sessionId = await createSession(stack);
  const couple = await fixture('liveness-two-people-couple.jpg');
  await stream(stack, sessionId, await movingCloser(couple));
  expect((await results(stack, sessionId)).Status).toBe('FAILED');
}, 60_000);

it('fails a video with no face', async () => {
  const sessionId = await createSession(stack);
  const outcome = await stream(stack, sessionId, { kind: 'images', images: Array(10).fill(await noFaceImage()), fps: 2 });
  expect(outcome.disconnected).toBe(true);
  expect((await results(stack, sessionId)).Status).toBe('FAILED');
}, 60_000);

it('refuses a stream for an unknown session', async () => {
  const outcome = await stream(stack, '00000000-0000-4000-8000-000000000000', await movingCloser(selfie));
  expect(outcome.exceptions.map((e) => e.exception)).toEqual(['SessionNotFoundException']);
});

it('times out a stream that stops sending and leaves the session FAILED', async () => {
  const sessionId = await createSession(tight);
  const outcome = await stream(tight, sessionId, await movingCloser(selfie), { stopAfterChunks: 1 });
  expect(outcome.exceptions.map((e) => e.exception)).toEqual(['ValidationException']);
  expect(outcome.exceptions[0]!.message).toMatch(/idle timeout/);
  expect(outcome.closeCode).toBe(4001);
  expect((await results(tight, sessionId)).Status).toBe('FAILED');
}, 60_000);

it('refuses a video over the size cap and leaves the session FAILED', async () => {
  const sessionId = await createSession(tight);
  const outcome = await stream(tight, sessionId, await movingCloser(selfie));
  expect(outcome.exceptions.map((e) => e.exception)).toEqual(['ValidationException']);
  expect(outcome.exceptions[0]!.message).toMatch(/exceeds 100000 bytes/);
  expect((await results(tight, sessionId)).Status).toBe('FAILED');
}, 60_000);

it('refuses a malformed frame and leaves the session FAILED', async () => {
  const sessionId = await createSession(stack);
  const url = await presignStreamUrl({ endpoint: stack.streamingEndpoint, region: REGION, sessionId }, 640, 480);
  const ws = new WebSocket(url, { ca: stack.ca });
  const exceptions: string[] = [];
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  ws.on('message', (data: Buffer) => {
    const message = decodeServerMessage(data);
    if (message.kind === 'exception') exceptions.push(message.exception);
    else if ('ServerSessionInformationEvent' in message.event) ws.send(Buffer.from('not an event-stream message'));
  });
  await closed;
  expect(exceptions).toEqual(['ValidationException']);
  expect((await results(stack, sessionId)).Status).toBe('FAILED');
});

it('keeps sessions and their results across a restart', async () => {
  const dataDir = `${directory.path}/restart`;
  const first = await startLivenessStack({ dataDir, s3Endpoint: s3.endpoint });
  let finished: string;
  let waiting: string;
  try {
    finished = await createSession(first, { ChallengePreferences: [{ Type: 'FaceMovementChallenge' }] });
    waiting = await createSession(first);
    await runLivenessSession({
      endpoint: first.streamingEndpoint,
      ca: first.ca,
      region: REGION,
      sessionId: finished,
      source: await movingCloser(selfie),
    });
  } finally {
    await first.stop();
  }
  const second = await startLivenessStack({ dataDir, s3Endpoint: s3.endpoint });
  try {
    expect((await results(second, finished)).Status).toBe('SUCCEEDED');
    expect((await results(second, waiting)).Status).toBe('CREATED');
    expect(second.ca).toBe(first.ca);
  } finally {
    await second.stop();
  }
}, 60_000);

describe('the session operations', () => {
  it('return the same session for the same ClientRequestToken', async () => {
    const create = () =>
      stack.rekognition.send(new CreateFaceLivenessSessionCommand({ ClientRequestToken: 'token-1', Settings: { AuditImagesLimit: 1 } }));
    expect((await create()).SessionId).toBe((await create()).SessionId);
  });

  it('report a new session as CREATED', async () => {
    const output = await results(stack, await createSession(stack));
    expect(output.Status).toBe('CREATED');
    expect(output.Confidence).toBeUndefined();
  });

  it('refuse an AuditImagesLimit above 4', async () => {
    await expect(createSession(stack, { AuditImagesLimit: 5 })).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('answer SessionNotFoundException for an unknown session', async () => {
    await expect(results(stack, '00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(SessionNotFoundException);
  });
});

it('refuses a stream for an expired session and reports it EXPIRED', async () => {
  await tight.advanceClock(TIGHT_LIFETIME_MS + 500);
  const outcome = await stream(tight, expiringSessionId, await movingCloser(selfie));
  expect(outcome.exceptions.map((e) => e.exception)).toEqual(['SessionNotFoundException']);
  expect((await results(tight, expiringSessionId)).Status).toBe('EXPIRED');
}, 60_000);

/**
 * What one connection may cost the liveness endpoint: no ffmpeg before the first video chunk, a closed socket when
 * nothing comes, and a cap on streams open at once. Against the server in a child process and s3rver.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import { CreateFaceLivenessSessionCommand, GetFaceLivenessSessionResultsCommand } from '@aws-sdk/client-rekognition';
import WebSocket from 'ws';
import {
  type LivenessClientOptions,
  presignStreamUrl,
  runLivenessSession,
  type VideoSource,
} from '../../../local/rekognition/liveness-client/client';
import { decodeServerMessage, STREAM_PATH } from '../../../local/rekognition/liveness/event-stream';
import { encodeWebm, imagesToWebm } from '../../../local/rekognition/liveness-client/synthetic-video';
import { rawRequest } from '../../support/raw-request';
import { fixture, REGION, startLivenessStack, startS3, temporaryDirectory, type LivenessStack } from './harness';

const FIRST_EVENT_TIMEOUT_MS = 1500;
const START_SCREEN_TIMEOUT_MS = 5000;
const MAX_STREAMS = 3;

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let s3: Awaited<ReturnType<typeof startS3>>;
let stack: LivenessStack;
let selfie: Buffer;

beforeAll(async () => {
  directory = await temporaryDirectory('liveness-limits-');
  s3 = await startS3(`${directory.path}/s3`, []);
  stack = await startLivenessStack({
    dataDir: `${directory.path}/server`,
    s3Endpoint: s3.endpoint,
    limits: {
      maxConcurrentStreams: MAX_STREAMS,
      firstEventTimeoutMs: FIRST_EVENT_TIMEOUT_MS,
      startScreenTimeoutMs: START_SCREEN_TIMEOUT_MS,
      idleTimeoutMs: 3000,
    },
  });
  selfie = await fixture('liveness-selfie-angelina_jolie-img6.jpg');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await s3?.stop();
  await directory?.remove();
});

const createSession = async () => (await stack.rekognition.send(new CreateFaceLivenessSessionCommand({}))).SessionId!;
const statusOf = async (sessionId: string) =>
  (await stack.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId: sessionId }))).Status;

interface SilentStream {
  sessionId: string;
  /** Resolves once the server has sent its session information (or refused). */
  ready: Promise<void>;
  exceptions: string[];
  closed: Promise<number>;
  isOpen(): boolean;
  close(): void;
}

/**
 * Connects to a new session and sends nothing; `startScreen` declares a start screen as the Amplify component does,
 * `rewrite` changes the presigned URL (the server checks the signature's form only).
 */
async function connectSilently({ startScreen = false, rewrite = (url: string) => url } = {}): Promise<SilentStream> {
  const sessionId = await createSession();
  const url = await presignStreamUrl({ endpoint: stack.streamingEndpoint, region: REGION, sessionId, startScreen }, 640, 480);
  const ws = new WebSocket(rewrite(url), { ca: stack.ca });
  const exceptions: string[] = [];
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code) => {
      markReady();
      resolve(code);
    }),
  );
  ws.on('error', () => undefined);
  ws.on('message', (data: Buffer) => {
    const message = decodeServerMessage(data);
    if (message.kind === 'exception') exceptions.push(message.exception);
    else if ('ServerSessionInformationEvent' in message.event) markReady();
  });
  return { sessionId, ready, exceptions, closed, isOpen: () => ws.readyState === WebSocket.OPEN, close: () => ws.close(1000) };
}

/** The headers of a websocket upgrade, as a client writes them. */
const UPGRADE_HEADERS = {
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': randomBytes(16).toString('base64'),
  'sec-websocket-version': '13',
};

/**
 * A websocket upgrade to STREAM_PATH with `query`, written by hand: once upgraded, the peer reads what the server
 * sends but never answers, not even its close frame. `closed` resolves when the server has cut the socket off.
 */
function upgradeAndIgnore(query: string): Promise<{ closed: Promise<void>; destroy(): void }> {
  const { hostname, port, host } = new URL(stack.streamingEndpoint);
  const socket = connectTls({ host: hostname, port: Number(port), ca: stack.ca, servername: 'localhost' });
  const headers = Object.entries({ host, ...UPGRADE_HEADERS }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET ${STREAM_PATH}?${query} HTTP/1.1\r\n${headers.join('')}\r\n`);
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve({ closed, destroy: () => socket.destroy() });
      else reject(new Error(`upgrade refused: ${chunk.toString('latin1')}`));
    });
  });
}

/** ffmpeg processes among the server's descendants, from /proc. */
function decoderProcesses(): number {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
      names.set(Number(entry), name);
    } catch {
      // The process ended while the folder was read.
    }
  }
  const descends = (pid: number): boolean => {
    for (let current = parents.get(pid); current !== undefined && current > 1; current = parents.get(current))
      if (current === stack.pid) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name === 'ffmpeg' && descends(pid)).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A clip of the selfie, 640x480 at 10 frames a second. */
const selfieClip = (frames: number) =>
  imagesToWebm(
    Array.from({ length: frames }, () => selfie),
    { width: 640, height: 480 },
    10,
  );

/** Streams a video through the Node client for the session; what the client received. */
const streamVideo = (source: VideoSource, options: Partial<LivenessClientOptions> & { sessionId: string }) =>
  runLivenessSession({ endpoint: stack.streamingEndpoint, ca: stack.ca, region: REGION, source, ...options });

it('starts no ffmpeg for connections that have claimed a session but sent no video', async () => {
  const streams = await Promise.all([connectSilently({ startScreen: true }), connectSilently({ startScreen: true })]);
  await Promise.all(streams.map((stream) => stream.ready));
  expect(streams.every((stream) => stream.isOpen())).toBe(true);
  expect(decoderProcesses()).toBe(0);
  for (const stream of streams) stream.close();
  await Promise.all(streams.map((stream) => stream.closed));
});

it('starts ffmpeg at the first video chunk', async () => {
  // A ready-made WebM, so the client's first event comes well within the first-event timeout.
  const webm = await selfieClip(20);
  const run = streamVideo({ kind: 'webm', webm, durationMs: 2000 }, { sessionId: await createSession(), stopAfterChunks: 1 });
  const deadline = Date.now() + 10_000;
  while (decoderProcesses() === 0 && Date.now() < deadline) await sleep(50);
  expect(decoderProcesses()).toBe(1);
  await run;
}, 30_000);

it('closes a connection that sends nothing within the first-event timeout and fails its session', async () => {
  const stream = await connectSilently();
  const started = Date.now();
  expect(await stream.closed).toBe(4001);
  expect(Date.now() - started).toBeLessThan(FIRST_EVENT_TIMEOUT_MS + 1500);
  expect(stream.exceptions).toEqual(['ValidationException']);
  expect(await statusOf(stream.sessionId)).toBe('FAILED');
});

it('waits longer for a client that shows a start screen first, then closes it too', async () => {
  const stream = await connectSilently({ startScreen: true });
  await stream.ready;
  await sleep(FIRST_EVENT_TIMEOUT_MS + 1000);
  expect(stream.isOpen()).toBe(true);
  expect(await stream.closed).toBe(4001);
  expect(stream.exceptions).toEqual(['ValidationException']);
}, 15_000);

it('refuses a stream over the cap with ThrottlingException and leaves its session unused', async () => {
  const open = await Promise.all(Array.from({ length: MAX_STREAMS }, () => connectSilently({ startScreen: true })));
  await Promise.all(open.map((stream) => stream.ready));
  const refused = await connectSilently({ startScreen: true });
  await refused.closed;
  expect(refused.exceptions).toEqual(['ThrottlingException']);
  expect(await statusOf(refused.sessionId)).toBe('CREATED');

  open[0]!.close();
  await open[0]!.closed;
  // The server frees the slot on its own close event, which may come a moment after the client's.
  await sleep(200);
  const next = await connectSilently({ startScreen: true });
  await next.ready;
  expect(next.isOpen()).toBe(true);
  expect(next.exceptions).toEqual([]);
  for (const stream of [...open.slice(1), next]) stream.close();
  await Promise.all([...open, next].map((stream) => stream.closed));
}, 20_000);

it('refuses upgrades whose query it refuses without taking a stream slot, so they never throttle a real session', async () => {
  const refused = await Promise.all(Array.from({ length: MAX_STREAMS + 1 }, () => upgradeAndIgnore('session-id=garbage')));
  const next = await connectSilently({ startScreen: true });
  await next.ready;
  expect(next.exceptions).toEqual([]);
  expect(next.isOpen()).toBe(true);
  next.close();
  await next.closed;
  for (const stream of refused) stream.destroy();
}, 15_000);

it('cuts off a refused peer that does not answer the close frame within a few seconds', async () => {
  const refused = await upgradeAndIgnore('session-id=garbage');
  const outcome = await Promise.race([refused.closed.then(() => 'cut off'), sleep(5000).then(() => 'still open')]);
  refused.destroy();
  expect(outcome).toBe('cut off');
}, 15_000);

it('answers an upgrade whose request target is no path with 400, and takes the next stream', async () => {
  const answer = await rawRequest(stack.streamingEndpoint, 'GET //:99999 HTTP/1.1', { ca: stack.ca, headers: UPGRADE_HEADERS });
  expect(answer.status).toBe(400);
  const next = await connectSilently({ startScreen: true });
  await next.ready;
  expect(next.exceptions).toEqual([]);
  next.close();
  await next.closed;
}, 15_000);

it('refuses a video side under 100 pixels, however it is written, and leaves the session unused', async () => {
  const stream = await connectSilently({ rewrite: (url) => url.replace('video-height=480', 'video-height=079') });
  expect(await stream.closed).toBe(1000);
  expect(stream.exceptions).toEqual(['ValidationException']);
  expect(await statusOf(stream.sessionId)).toBe('CREATED');
});

it('ends a stream whose frames the face engine fails on with InternalServerException, fails its session, and goes on', async () => {
  // A server whose engine pool gives a face task 1 ms: every frame's analysis fails, as it would if a face worker failed.
  const failing = await startLivenessStack({ dataDir: `${directory.path}/failing`, s3Endpoint: s3.endpoint, faceTaskTimeoutMs: 1 });
  try {
    const sessionId = (await failing.rekognition.send(new CreateFaceLivenessSessionCommand({}))).SessionId!;
    const source: VideoSource = { kind: 'webm', webm: await selfieClip(20), durationMs: 2000 };
    const result = await runLivenessSession({ endpoint: failing.streamingEndpoint, ca: failing.ca, region: REGION, source, sessionId });
    expect(result.exceptions).toEqual([{ exception: 'InternalServerException', message: 'Internal server error' }]);
    const after = await failing.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId: sessionId }));
    expect(after.Status).toBe('FAILED');
    expect(failing.printed()).toContain('"event":"liveness-internal-error"');
  } finally {
    await failing.stop();
  }
}, 60_000);

it('leaves no ffmpeg running after streams that stop midway or send bytes that are not a video, and fails their sessions', async () => {
  const webm = await selfieClip(20);
  const notAVideo = Buffer.alloc(webm.length, 'not a video ');
  const streams = [
    { bytes: webm, stopAfterChunks: 1 },
    { bytes: notAVideo, stopAfterChunks: 2 },
    { bytes: notAVideo, stopAfterChunks: undefined },
  ];
  const sessionIds = await Promise.all(streams.map(() => createSession()));
  await Promise.all(
    streams.map(({ bytes, stopAfterChunks }, index) =>
      streamVideo(
        { kind: 'webm', webm: bytes, durationMs: 2000 },
        { sessionId: sessionIds[index]!, ...(stopAfterChunks !== undefined ? { stopAfterChunks } : {}) },
      ).catch(() => undefined),
    ),
  );
  const deadline = Date.now() + 5000;
  while (decoderProcesses() > 0 && Date.now() < deadline) await sleep(50);
  expect(decoderProcesses()).toBe(0);
  expect(await Promise.all(sessionIds.map(statusOf))).toEqual(['FAILED', 'FAILED', 'FAILED']);
}, 30_000);

/** The server's log entries about one session. */
const loggedFor = (sessionId: string) =>
  stack
    .printed()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(sessionId))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

it('refuses a video with more than 60 frames a second before ffmpeg decodes it, fails its session, and logs why', async () => {
  const size = { width: 640, height: 480 };
  // 150 frames in 0.6 s: a few KB of video that ffmpeg would have to decode frame by frame.
  const frames = Array.from({ length: 150 }, (_, index) => Buffer.alloc(size.width * size.height * 3, index));
  const webm = await encodeWebm(frames, size, 250);
  const sessionId = await createSession();
  const result = await streamVideo({ kind: 'webm', webm, durationMs: 600 }, { sessionId });
  expect(result.exceptions).toEqual([{ exception: 'ValidationException', message: 'Video has more than 60 frames a second' }]);
  expect(await statusOf(sessionId)).toBe('FAILED');
  expect(loggedFor(sessionId)).toContainEqual({ event: 'liveness-failed', sessionId, reason: 'Video has more than 60 frames a second' });
}, 30_000);

it('refuses a video whose frames are larger than declared as soon as ffmpeg meets one, without repeating what ffmpeg said', async () => {
  const webm = await selfieClip(30);
  const sessionId = await createSession();
  // Two of its three chunks, and no end: only a refusal during the stream ends it before the idle timeout.
  const result = await streamVideo(
    { kind: 'webm', webm, durationMs: 3000 },
    { sessionId, videoWidth: 320, videoHeight: 240, stopAfterChunks: 2 },
  );
  expect(result.exceptions).toEqual([{ exception: 'ValidationException', message: 'Video could not be decoded' }]);
  expect(await statusOf(sessionId)).toBe('FAILED');
  // ffmpeg's own words are in the log.
  const undecodable = loggedFor(sessionId).filter((entry) => entry.event === 'liveness-video-undecodable');
  expect(undecodable).toEqual([
    expect.objectContaining({ detail: expect.stringMatching(/ffmpeg exit 1, 0 frames: .*exceeds specified max pixel count/) }),
  ]);
}, 30_000);

it('refuses bytes that are neither WebM nor MP4 at their first chunk', async () => {
  const sessionId = await createSession();
  const result = await streamVideo({ kind: 'webm', webm: Buffer.alloc(200_000, 'not a video '), durationMs: 2000 }, { sessionId });
  expect(result.exceptions).toEqual([{ exception: 'ValidationException', message: 'Video is not a WebM or MP4 stream' }]);
  expect(await statusOf(sessionId)).toBe('FAILED');
}, 30_000);

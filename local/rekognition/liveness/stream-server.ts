/**
 * The Face Liveness streaming endpoint: `wss://host:port/start-face-liveness-session-websocket?<presigned query>`,
 * as @aws-amplify/ui-react-liveness (through @aws-sdk/client-rekognitionstreaming) connects to it.
 *
 * One connection runs one session once: take a stream slot (over the cap: ThrottlingException, the session untouched),
 * validate the presigned query, claim the session (CREATED -> IN_PROGRESS), send ChallengeEvent and
 * ServerSessionInformationEvent, take the client's events and video chunks (ffmpeg starts at the first chunk, and
 * frames are analysed while the video arrives), and on the empty video chunk decide, store the result and send
 * DisconnectionEvent. A stream that sends nothing at all is closed after a few seconds (longer for a client that
 * shows a start screen first). Every refusal is an exception event followed by a close, and leaves the session
 * FAILED (or, past its lifetime, EXPIRED): never IN_PROGRESS with nobody streaming.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FaceEngine } from '../engine/types';
import { buildServerChallenge, selectChallenge, type OvalPlacement } from './challenge';
import {
  decodeClientFrame,
  encodeServerEvent,
  encodeServerException,
  MalformedFrameError,
  STREAM_PATH,
  type ClientChallenge,
  type ServerChallenge,
  type StreamException,
} from './event-stream';
import { SESSION_ID_PATTERN } from './operations';
import type { ResultWriter } from './result-images';
import { decideLiveness, type AnalysedFrame } from './scoring';
import { effectiveStatus, type LivenessSession, type SessionStore } from './sessions';
import { VideoDecodeError, VideoDecoder } from './video-decoder';

export interface StreamLimits {
  /** Largest video accepted, in bytes (Rekognition's limit is 10 MB). */
  maxVideoBytes: number;
  /** A stream that has started sending and then sends nothing for this long is ended. */
  idleTimeoutMs: number;
  /** Frames sampled per second of video for analysis. */
  sampleFps: number;
  /** Most frames analysed; a longer video is refused. */
  maxFrames: number;
  /** Streams open at once; one more is refused with ThrottlingException. */
  maxConcurrentStreams: number;
  /** A stream that has sent nothing this long after connecting is ended. */
  firstEventTimeoutMs: number;
  /**
   * The same for a client that declares a start screen (`precheck-view-enabled=1`, as the Amplify component does):
   * it connects before the user presses start and sends nothing until recording begins.
   */
  startScreenTimeoutMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxVideoBytes: 10 * 1024 * 1024,
  idleTimeoutMs: 10_000,
  sampleFps: 4,
  maxFrames: 120,
  maxConcurrentStreams: 10,
  firstEventTimeoutMs: 10_000,
  startScreenTimeoutMs: 60_000,
};

export interface StreamServerOptions {
  engine: FaceEngine;
  store: SessionStore;
  results: ResultWriter;
  region: string;
  limits: StreamLimits;
  ovalPlacement: OvalPlacement;
  now: () => number;
  tls: { key: string; cert: string };
  log: (entry: Record<string, unknown>) => void;
}

const CHALLENGE_VERSIONS_PATTERN = /^([a-zA-Z]{10,}_\d+\.\d+\.\d+)(,[a-zA-Z]{10,}_\d+\.\d+\.\d+)*$/;
const CREDENTIAL_PATTERN = /^[^/\s]+\/(\d{8})\/([a-z0-9-]+)\/rekognition\/aws4_request$/;
const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_VIDEO_SIDE = 1920;

class StreamRefusal extends Error {
  constructor(
    readonly exception: StreamException['exception'],
    message: string,
  ) {
    super(message);
  }
}

export interface StartQuery {
  sessionId: string;
  videoWidth: number;
  videoHeight: number;
  challengeVersions: string;
  /** The client shows a start screen before it records (`precheck-view-enabled=1`). */
  startScreen: boolean;
}

/** Checks the presigned query's presence, shape and expiry (any access key is accepted) and the session parameters. */
export function parseStartQuery(url: URL, region: string, now: number): StartQuery {
  const q = url.searchParams;
  const required = (name: string, exception: StreamRefusal['exception']) => {
    const value = q.get(name);
    if (value === null || value === '') throw new StreamRefusal(exception, `Missing query parameter ${name}`);
    return value;
  };
  if (required('X-Amz-Algorithm', 'AccessDeniedException') !== 'AWS4-HMAC-SHA256') {
    throw new StreamRefusal('AccessDeniedException', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');
  }
  const credential = CREDENTIAL_PATTERN.exec(required('X-Amz-Credential', 'AccessDeniedException'));
  if (!credential)
    throw new StreamRefusal('AccessDeniedException', 'X-Amz-Credential must be <key>/<yyyymmdd>/<region>/rekognition/aws4_request');
  if (credential[2] !== region) {
    throw new StreamRefusal('InvalidSignatureException', `Credential should be scoped to a valid region, not '${credential[2]}'.`);
  }
  const date = AMZ_DATE_PATTERN.exec(required('X-Amz-Date', 'AccessDeniedException'));
  if (!date) throw new StreamRefusal('AccessDeniedException', 'X-Amz-Date must be yyyymmddThhmmssZ');
  if (credential[1] !== `${date[1]}${date[2]}${date[3]}`)
    throw new StreamRefusal('AccessDeniedException', 'X-Amz-Credential date is not the X-Amz-Date day');
  const signedAt = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]), Number(date[4]), Number(date[5]), Number(date[6]));
  const expires = Number(required('X-Amz-Expires', 'AccessDeniedException'));
  if (!Number.isInteger(expires) || expires < 1 || expires > 604800) {
    throw new StreamRefusal('AccessDeniedException', 'X-Amz-Expires must be an integer from 1 to 604800');
  }
  if (now < signedAt - CLOCK_SKEW_MS) throw new StreamRefusal('AccessDeniedException', 'Signature not yet current');
  if (now > signedAt + expires * 1000) throw new StreamRefusal('AccessDeniedException', 'Signature expired');
  if (!required('X-Amz-SignedHeaders', 'AccessDeniedException').split(';').includes('host')) {
    throw new StreamRefusal('AccessDeniedException', 'X-Amz-SignedHeaders must include host');
  }
  if (!/^[0-9a-f]{64}$/.test(required('X-Amz-Signature', 'AccessDeniedException'))) {
    throw new StreamRefusal('AccessDeniedException', 'X-Amz-Signature must be 64 hex digits');
  }

  const sessionId = required('session-id', 'ValidationException');
  if (!SESSION_ID_PATTERN.test(sessionId))
    throw new StreamRefusal('ValidationException', 'session-id must be a 36-character lowercase UUID');
  const dimension = (name: string) => {
    const value = required(name, 'ValidationException');
    if (!/^[0-9]{3,4}$/.test(value) || Number(value) > MAX_VIDEO_SIDE) {
      throw new StreamRefusal('ValidationException', `${name} must be a number of pixels from 100 to ${MAX_VIDEO_SIDE}`);
    }
    return Number(value);
  };
  const videoWidth = dimension('video-width');
  const videoHeight = dimension('video-height');
  const challengeVersions = required('challenge-versions', 'ValidationException');
  if (challengeVersions.length < 15 || challengeVersions.length > 150 || !CHALLENGE_VERSIONS_PATTERN.test(challengeVersions)) {
    throw new StreamRefusal('ValidationException', 'challenge-versions must be a comma-separated list of Type_x.y.z');
  }
  return { sessionId, videoWidth, videoHeight, challengeVersions, startScreen: q.get('precheck-view-enabled') === '1' };
}

export function startStreamServer(options: StreamServerOptions): { server: Server; close(): Promise<void> } {
  const server = createServer({ key: options.tls.key, cert: options.tls.cert });
  // A chunk travels base64 in JSON (4/3 larger): any frame that can carry an allowed chunk gets through to the size
  // check, which answers with the exception; a larger frame is cut off by ws itself (close 1009).
  const sockets = new WebSocketServer({ noServer: true, maxPayload: Math.ceil((options.limits.maxVideoBytes * 4) / 3) + 1024 * 1024 });
  let openStreams = 0;
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'https://localhost');
    if (url.pathname !== STREAM_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      if (openStreams >= options.limits.maxConcurrentStreams) {
        options.log({ event: 'liveness-throttled', openStreams });
        ws.send(encodeServerException({ exception: 'ThrottlingException', message: 'Rate exceeded' }));
        ws.close(1000, 'ThrottlingException');
        return;
      }
      openStreams += 1;
      ws.once('close', () => {
        openStreams -= 1;
      });
      new LivenessStream(ws, url, options).run();
    });
  });
  server.on('request', (_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    response.end(`Face Liveness streaming: connect a WebSocket to ${STREAM_PATH}\n`);
  });
  const close = () =>
    new Promise<void>((resolve, reject) => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  return { server, close };
}

/** One websocket connection and the session it runs. */
class LivenessStream {
  private session: LivenessSession | undefined;
  private decoder: VideoDecoder | undefined;
  private serverChallenge: ServerChallenge | undefined;
  private query: StartQuery | undefined;
  private readonly clientChallenges: ClientChallenge[] = [];
  private readonly frames: AnalysedFrame[] = [];
  private analysis: Promise<void> = Promise.resolve();
  private videoBytes = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;
  private idleTimedOut = false;
  /** No more client input is taken (completed, refused or closed). */
  private finished = false;
  /** The final decision is being made: frame analysis must run to the end. */
  private completing = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly url: URL,
    private readonly options: StreamServerOptions,
  ) {}

  run(): void {
    const { options } = this;
    let query: StartQuery;
    try {
      query = parseStartQuery(this.url, options.region, options.now());
    } catch (error) {
      void this.refuse(error);
      return;
    }
    this.query = query;
    const session = options.store.get(query.sessionId);
    if (!session) {
      void this.refuse(new StreamRefusal('SessionNotFoundException', `Session not found: ${query.sessionId}`));
      return;
    }
    const status = effectiveStatus(session, options.now());
    if (status === 'EXPIRED' || status === 'GONE') {
      void this.refuse(new StreamRefusal('SessionNotFoundException', `Session expired: ${query.sessionId}`));
      return;
    }
    if (status !== 'CREATED') {
      void this.refuse(new StreamRefusal('ValidationException', `Session ${query.sessionId} has already been used`));
      return;
    }
    // Claim synchronously: the store's copy changes before any other connection can look.
    this.session = session;
    session.status = 'IN_PROGRESS';
    const challenge = selectChallenge(session.challengePreferences, query.challengeVersions);
    if (!challenge) {
      void this.refuse(
        new StreamRefusal('ValidationException', 'None of the client challenge-versions matches the session challenge preferences'),
      );
      return;
    }
    session.challenge = challenge;
    void options.store.put(session).catch((error) => this.internalError(error));
    this.serverChallenge = buildServerChallenge(challenge.type, query.videoWidth, query.videoHeight, options.ovalPlacement);

    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    this.ws.on('close', (code) => this.onClose(code));
    this.ws.on('error', () => undefined);
    // Until the first event, a shorter or longer wait: a client with a start screen sends nothing until the user
    // presses start; one without has no reason to wait. After it, the idle limit.
    this.armIdleTimer(query.startScreen ? options.limits.startScreenTimeoutMs : options.limits.firstEventTimeoutMs);
    this.lifetimeTimer = setTimeout(
      () => void this.refuse(new StreamRefusal('ValidationException', 'Session expired while streaming'), 'expired'),
      Math.max(0, session.expiresAt - options.now()),
    );
    this.send(encodeServerEvent({ ChallengeEvent: { Type: challenge.type, Version: challenge.version } }));
    this.send(
      encodeServerEvent({
        ServerSessionInformationEvent: { SessionInformation: { Challenge: { [challenge.type]: this.serverChallenge } } },
      }),
    );
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.finished) return;
    this.armIdleTimer();
    try {
      if (!isBinary) throw new MalformedFrameError('text websocket message; event-stream frames are binary');
      const decoded = decodeClientFrame(toBytes(data));
      if (decoded.kind === 'end') throw new MalformedFrameError('request stream ended before the empty video chunk');
      const { event } = decoded;
      if ('ClientSessionInformationEvent' in event) {
        const challenges = event.ClientSessionInformationEvent.Challenge;
        const reported = challenges[this.session!.challenge!.type];
        if (!reported) throw new MalformedFrameError(`ClientSessionInformationEvent is not for ${this.session!.challenge!.type}`);
        this.clientChallenges.push(reported);
        return;
      }
      const chunk = event.VideoEvent.VideoChunk;
      if (chunk.byteLength === 0) {
        void this.complete();
        return;
      }
      this.videoBytes += chunk.byteLength;
      if (this.videoBytes > this.options.limits.maxVideoBytes) {
        throw new StreamRefusal('ValidationException', `Video exceeds ${this.options.limits.maxVideoBytes} bytes`);
      }
      // ffmpeg only once video comes: a connection that sends none costs no process.
      this.decoder ??= new VideoDecoder({
        fps: this.options.limits.sampleFps,
        width: this.query!.videoWidth,
        height: this.query!.videoHeight,
        onFrame: (frame) => this.enqueueFrame(frame.offsetMs, frame.image),
      });
      this.decoder.write(chunk);
    } catch (error) {
      void this.refuse(error);
    }
  }

  private enqueueFrame(offsetMs: number, image: AnalysedFrame['image']): void {
    // While completing, ffmpeg flushes the last frames: those count.
    if (this.finished && !this.completing) return;
    if (this.frames.length >= this.options.limits.maxFrames) {
      void this.refuse(
        new StreamRefusal('ValidationException', `Video longer than ${this.options.limits.maxFrames / this.options.limits.sampleFps} s`),
      );
      return;
    }
    const frame: AnalysedFrame = { offsetMs, image, faces: [] };
    this.frames.push(frame);
    // One frame at a time, in order, while the client keeps streaming.
    this.analysis = this.analysis.then(async () => {
      if (this.finished && !this.completing) return;
      const { faces } = await this.options.engine.analyse(image);
      frame.faces = faces;
      if (faces.length === 1) frame.live = await this.options.engine.liveProbability(image, faces[0]!);
    });
  }

  private async complete(): Promise<void> {
    const session = this.session!;
    this.completing = true;
    this.finished = true;
    this.stopTimers();
    try {
      if (!this.decoder) throw new VideoDecodeError('The stream ended without any video');
      const decoded = await this.decoder.finish();
      await this.analysis;
      const decision = decideLiveness(this.options.engine, {
        challengeType: session.challenge!.type,
        serverChallenge: this.serverChallenge!,
        videoWidth: this.query!.videoWidth,
        videoHeight: this.query!.videoHeight,
        decoded: { ...decoded, fps: this.options.limits.sampleFps },
        clientChallenges: this.clientChallenges,
        frames: this.frames,
        auditImagesLimit: session.auditImagesLimit,
      });
      const images = decision.status === 'SUCCEEDED' ? await this.options.results.store(session, decision) : { auditImages: [] };
      session.status = decision.status;
      session.result = { confidence: decision.confidence, ...images, reasons: decision.reasons };
      await this.options.store.put(session);
      this.options.log({ event: 'liveness-result', sessionId: session.sessionId, status: decision.status, reasons: decision.reasons });
      this.send(encodeServerEvent({ DisconnectionEvent: { TimestampMillis: this.options.now() } }));
      this.ws.close(1000);
    } catch (error) {
      if (error instanceof VideoDecodeError) {
        this.completing = false;
        await this.refuseAfterFinish(new StreamRefusal('ValidationException', error.message));
      } else {
        this.completing = false;
        await this.internalError(error);
      }
    }
  }

  private onClose(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimers();
    this.decoder?.abort();
    void this.markFailed(`client closed the stream (code ${code}) before the video ended`);
  }

  /** Sends the exception, closes, and leaves the session FAILED (or EXPIRED when its lifetime ran out). */
  private async refuse(error: unknown, why: 'refused' | 'expired' = 'refused'): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.refuseAfterFinish(error, why);
  }

  private async refuseAfterFinish(error: unknown, why: 'refused' | 'expired' = 'refused'): Promise<void> {
    this.stopTimers();
    this.decoder?.abort();
    const refusal =
      error instanceof StreamRefusal
        ? error
        : error instanceof MalformedFrameError
          ? new StreamRefusal('ValidationException', error.message)
          : undefined;
    if (!refusal) {
      await this.internalError(error);
      return;
    }
    this.send(encodeServerException({ exception: refusal.exception, message: refusal.message }));
    this.ws.close(this.idleTimedOut ? 4001 : 1000, refusal.exception);
    // Past its lifetime the session reads EXPIRED on its own; keep IN_PROGRESS stored so it does.
    if (why !== 'expired') await this.markFailed(refusal.message);
  }

  private async internalError(error: unknown): Promise<void> {
    this.finished = true;
    this.stopTimers();
    this.decoder?.abort();
    this.options.log({ event: 'liveness-internal-error', error: String((error as Error)?.stack ?? error) });
    this.send(encodeServerException({ exception: 'InternalServerException', message: 'Internal server error' }));
    this.ws.close(1000);
    await this.markFailed('internal error');
  }

  private async markFailed(reason: string): Promise<void> {
    const session = this.session;
    if (session?.status !== 'IN_PROGRESS') return;
    session.status = 'FAILED';
    session.failure = reason;
    try {
      await this.options.store.put(session);
    } catch (error) {
      this.options.log({ event: 'liveness-store-error', sessionId: session.sessionId, error: String(error) });
    }
  }

  private armIdleTimer(timeoutMs = this.options.limits.idleTimeoutMs): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimedOut = true;
      void this.refuse(new StreamRefusal('ValidationException', `No event for ${timeoutMs} ms: stream idle timeout`));
    }, timeoutMs);
  }

  private stopTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
  }

  private send(message: Uint8Array): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(message);
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}

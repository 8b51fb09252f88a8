/**
 * The Face Liveness streaming endpoint: `wss://host:port/start-face-liveness-session-websocket?<presigned query>`,
 * as @aws-amplify/ui-react-liveness (through @aws-sdk/client-rekognitionstreaming) connects to it.
 *
 * One connection runs one session once: validate the presigned query, take a stream slot (over the cap:
 * ThrottlingException, the session untouched), claim the session (CREATED -> IN_PROGRESS), send ChallengeEvent and
 * ServerSessionInformationEvent, take the client's events and video chunks (ffmpeg starts at the first chunk, and
 * frames are analysed while the video arrives), and on the empty video chunk decide, store the result and send
 * DisconnectionEvent. A stream that sends nothing at all is closed after a few seconds (longer for a client that
 * shows a start screen first). Every refusal is an exception event followed by a close, and leaves the session
 * FAILED (or, past its lifetime, EXPIRED): never IN_PROGRESS with nobody streaming. A stream gives its slot back as
 * it ends, and a peer that does not answer the close frame is cut off soon after: a refused peer holds nothing.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Clock } from '../../aws/clock';
import { requestTarget } from '../../aws/request-reader';
import { checkSigV4Shape, SigV4Failure } from '../../aws/sigv4';
import { ProcessLauncher } from '../../process-launcher';
import type { FaceEngine } from '../engine/types';
import { buildServerChallenge, selectChallenge, type OvalPlacement } from './challenge';
import {
  decodeClientFrame,
  encodeServerEvent,
  encodeServerException,
  MalformedFrameError,
  STREAM_PATH,
  type ChallengeType,
  type ClientChallenge,
  type ServerChallenge,
  type StreamException,
} from './event-stream';
import { CloseLookSampler, type CloseLookPolicy, type FramePlace } from './close-looks';
import { SESSION_ID_PATTERN } from './operations';
import type { ResultWriter } from './result-images';
import { decideLiveness, framesToConfirm, framesToDescribe, isInOval, ovalBox, type AnalysedFrame } from './scoring';
import { effectiveStatus, type LivenessSession, type SessionStore } from './sessions';
import { VideoDecodeError, VideoDecoder } from './video-decoder';
import { Mp4FrameCounter } from './mp4-frames';
import { SourceFormatError, type SourceFrameCounter, sniffContainer, type VideoContainer } from './source-frames';
import { WebmFrameCounter } from './webm-frames';

export interface StreamLimits {
  /** Largest video accepted, in bytes (Rekognition's limit is 10 MB). */
  maxVideoBytes: number;
  /** A stream that has started sending and then sends nothing for this long is ended. */
  idleTimeoutMs: number;
  /** Frames sampled per second of video for analysis: each is located (face detection). */
  sampleFps: number;
  /** Which frames are described as well (./close-looks.ts): one in each run, in the oval and elsewhere; 1 is every one. */
  closeLooks: CloseLookPolicy;
  /** In-oval frames described at least: the ones the Confidence median and the reference image are taken from. */
  minDescribedInOval: number;
  /**
   * When a described in-oval frame's anti-spoof probability is under this, every in-oval frame is described and the
   * Confidence is the whole stay's median. At or above a caller's threshold (0.90 for the flow's default of 90), the
   * sampling never fails a genuine video that describing every frame would pass.
   */
  describeAllInOvalBelow: number;
  /** Most frames analysed; a longer video is refused. */
  maxFrames: number;
  /**
   * Most frames a second in the video itself, counted before decoding (./source-frames.ts): ffmpeg decodes every frame,
   * whatever rate it samples, so a small video packed with frames would cost seconds of CPU. Cameras give 60 at most.
   */
  maxSourceFps: number;
  /**
   * Streams open at once; one more is refused with ThrottlingException. Each holds an ffmpeg decoder and its sampled
   * frames (about 20 MB for a 6 s video at 640x480), so 64 hold about 1.3 GB; the face pool queues their frames.
   */
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
  // About 9 of a 5.6 s clip's 21 frames. Replayed over 110 recorded sessions of the test videos that score 0.90 or
  // more with every frame described (npm run analyse:liveness-sampling), the sampled frames alone scored under 0.90
  // in 0.25% of draws (18% for the worst session; one in two had failed 2 of about 80 CI sessions); with every
  // in-oval frame described when one sampled scores under 0.90 (10% of sessions), in none.
  closeLooks: { inOvalRun: 3, elsewhereRun: 3 },
  minDescribedInOval: 6,
  describeAllInOvalBelow: 0.9,
  maxFrames: 120,
  maxSourceFps: 60,
  maxConcurrentStreams: 64,
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
  now: Clock;
  tls: { key: string; cert: string };
  log: (entry: Record<string, unknown>) => void;
}

const CHALLENGE_VERSIONS_PATTERN = /^([a-zA-Z]{10,}_\d+\.\d+\.\d+)(,[a-zA-Z]{10,}_\d+\.\d+\.\d+)*$/;
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MIN_VIDEO_SIDE = 100;
const MAX_VIDEO_SIDE = 1920;
const NOT_A_VIDEO = 'Video is not a WebM or MP4 stream';

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

/**
 * Checks the presigned query with the shared SigV4 verifier in `shape` mode (form, rekognition scope, region, date
 * and expiry; any access key and signature of the right form: the browser signs with whatever keys it has, as no
 * identity pool is emulated), then the session parameters.
 */
export function parseStartQuery(url: URL, headers: IncomingHttpHeaders, region: string, now: number): StartQuery {
  const q = url.searchParams;
  const required = (name: string, exception: StreamRefusal['exception']) => {
    const value = q.get(name);
    if (value === null || value === '') throw new StreamRefusal(exception, `Missing query parameter ${name}`);
    return value;
  };
  try {
    checkSigV4Shape(
      { method: 'GET', url: `${url.pathname}${url.search}`, headers },
      { service: 'rekognition', region, now, maxSkewMs: CLOCK_SKEW_MS },
    );
  } catch (error) {
    if (!(error instanceof SigV4Failure)) throw error;
    // The component recognises a wrong region by InvalidSignatureException; everything else is access denied.
    throw new StreamRefusal(error.kind === 'wrong-region' ? 'InvalidSignatureException' : 'AccessDeniedException', error.message);
  }

  const sessionId = required('session-id', 'ValidationException');
  if (!SESSION_ID_PATTERN.test(sessionId))
    throw new StreamRefusal('ValidationException', 'session-id must be a 36-character lowercase UUID');
  const dimension = (name: string) => {
    const value = required(name, 'ValidationException');
    const pixels = Number(value);
    if (!/^[0-9]{1,4}$/.test(value) || pixels < MIN_VIDEO_SIDE || pixels > MAX_VIDEO_SIDE) {
      throw new StreamRefusal('ValidationException', `${name} must be a number of pixels from ${MIN_VIDEO_SIDE} to ${MAX_VIDEO_SIDE}`);
    }
    return pixels;
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
  // Here, so that a wrong setting stops the start rather than failing each session.
  CloseLookSampler.checkPolicy(options.limits.closeLooks);
  const server = createServer({ key: options.tls.key, cert: options.tls.cert });
  // A chunk travels base64 in JSON (4/3 larger): any frame that can carry an allowed chunk gets through to the size
  // check, which answers with the exception; a larger frame is cut off by ws itself (close 1009).
  const sockets = new WebSocketServer({ noServer: true, maxPayload: Math.ceil((options.limits.maxVideoBytes * 4) / 3) + 1024 * 1024 });
  let openStreams = 0;
  const takeSlot: TakeSlot = () => {
    if (openStreams >= options.limits.maxConcurrentStreams) {
      options.log({ event: 'liveness-throttled', openStreams });
      return undefined;
    }
    openStreams += 1;
    let held = true;
    return () => {
      if (held) openStreams -= 1;
      held = false;
    };
  };
  let videosBegun = 0;
  const nextVideoRank = () => videosBegun++;
  // Each video's ffmpeg is started from a small helper process; see process-launcher.ts.
  const launcher = new ProcessLauncher().start();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestTarget(request.url);
    if (url?.pathname !== STREAM_PATH) {
      refuseUpgrade(socket, url ? '404 Not Found' : '400 Bad Request');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) =>
      new LivenessStream(ws, url, request.headers, options, takeSlot, nextVideoRank, launcher).run(),
    );
  });
  server.on('request', (_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    response.end(`Face Liveness streaming: connect a WebSocket to ${STREAM_PATH}\n`);
  });
  const close = () =>
    new Promise<void>((resolve, reject) => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      launcher.close();
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  return { server, close };
}

/**
 * An upgrade refused with a plain HTTP answer. The socket is the listener's own now (Node's error handler is gone):
 * its errors are ignored, and it is destroyed once the answer is written, whatever the peer does.
 */
function refuseUpgrade(socket: Duplex, status: string): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
}

/** Takes a stream slot: the function that gives it back (once, however often it is called), or undefined over the cap. */
type TakeSlot = () => (() => void) | undefined;

/** What a stream holds once it has claimed its session. */
interface ClaimedSession {
  session: LivenessSession;
  challengeType: ChallengeType;
  query: StartQuery;
  serverChallenge: ServerChallenge;
  /** What the client reported of the challenge (ClientSessionInformationEvent), in order. */
  clientChallenges: ClientChallenge[];
}

/**
 * The video once it has come: ffmpeg runs, and frames are analysed one at a time while the client keeps streaming.
 * One object from the first chunk to the decision, so that frames flushed while completing are counted.
 */
interface Video {
  decoder: VideoDecoder;
  /** The video's own frames, counted from its bytes before they reach the decoder. */
  sourceFrames: SourceFrameCounter;
  /** Where its frames queue for the face engine: the videos that began earlier are served first. */
  rank: number;
  bytes: number;
  frames: AnalysedFrame[];
  /** Never rejects: a frame the engine failed on is `failure`, and the frames after it are not analysed. */
  analysis: Promise<void>;
  failure?: { error: unknown };
  /** Which frames are described as well as located. */
  closeLooks: CloseLookSampler;
  /** Where the face of the last frame analysed was. */
  lastPlace: FramePlace;
}

/**
 * Where a stream is. Client input is taken while awaiting or receiving video; while completing (the empty chunk
 * came) ffmpeg flushes the last frames, which still count; finished takes nothing more.
 */
type StreamState =
  | { phase: 'awaiting-session' }
  | ({ phase: 'awaiting-video' } & ClaimedSession)
  | ({ phase: 'receiving-video'; video: Video } & ClaimedSession)
  | ({ phase: 'completing'; video: Video } & ClaimedSession)
  | { phase: 'finished'; session: LivenessSession | undefined };

/** Close code of a stream ended for sending nothing. */
const IDLE_CLOSE_CODE = 4001;
/** How long a peer has to answer the server's close frame before its socket is cut off (ws itself waits 30 s). */
const CLOSE_ANSWER_MS = 2000;

/** One websocket connection and the session it runs. */
class LivenessStream {
  private state: StreamState = { phase: 'awaiting-session' };
  private idleTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;
  /** Gives the stream slot back; nothing until the stream has taken one. */
  private releaseSlot: () => void = () => undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly url: URL,
    private readonly headers: IncomingHttpHeaders,
    private readonly options: StreamServerOptions,
    private readonly takeSlot: TakeSlot,
    private readonly nextVideoRank: () => number,
    private readonly launcher: ProcessLauncher,
  ) {}

  run(): void {
    const { options } = this;
    let query: StartQuery;
    try {
      query = parseStartQuery(this.url, this.headers, options.region, options.now());
    } catch (error) {
      void this.refuse(error);
      return;
    }
    const releaseSlot = this.takeSlot();
    if (!releaseSlot) {
      void this.refuse(new StreamRefusal('ThrottlingException', 'Rate exceeded'));
      return;
    }
    this.releaseSlot = releaseSlot;
    this.ws.once('close', releaseSlot);
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
    session.status = 'IN_PROGRESS';
    const challenge = selectChallenge(session.challengePreferences, query.challengeVersions);
    if (!challenge) {
      this.state = { phase: 'finished', session };
      void this.refuseFinished(
        new StreamRefusal('ValidationException', 'None of the client challenge-versions matches the session challenge preferences'),
      );
      return;
    }
    session.challenge = challenge;
    void options.store.put(session).catch((error) => this.internalError(error));
    const serverChallenge = buildServerChallenge(challenge.type, query.videoWidth, query.videoHeight, options.ovalPlacement);
    this.state = { phase: 'awaiting-video', session, challengeType: challenge.type, query, serverChallenge, clientChallenges: [] };

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
      encodeServerEvent({ ServerSessionInformationEvent: { SessionInformation: { Challenge: { [challenge.type]: serverChallenge } } } }),
    );
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const state = this.state;
    if (state.phase !== 'awaiting-video' && state.phase !== 'receiving-video') return;
    this.armIdleTimer();
    try {
      if (!isBinary) throw new MalformedFrameError('text websocket message; event-stream frames are binary');
      const decoded = decodeClientFrame(toBytes(data));
      if (decoded.kind === 'end') throw new MalformedFrameError('request stream ended before the empty video chunk');
      const { event } = decoded;
      if ('ClientSessionInformationEvent' in event) {
        const reported = event.ClientSessionInformationEvent.Challenge[state.challengeType];
        if (!reported) throw new MalformedFrameError(`ClientSessionInformationEvent is not for ${state.challengeType}`);
        state.clientChallenges.push(reported);
        return;
      }
      const chunk = event.VideoEvent.VideoChunk;
      if (chunk.byteLength === 0) {
        void this.complete();
        return;
      }
      const bytes = (state.phase === 'receiving-video' ? state.video.bytes : 0) + chunk.byteLength;
      if (bytes > this.options.limits.maxVideoBytes) {
        throw new StreamRefusal('ValidationException', `Video exceeds ${this.options.limits.maxVideoBytes} bytes`);
      }
      let video: Video;
      if (state.phase === 'receiving-video') {
        video = state.video;
        this.checkSourceFrames(video.sourceFrames, chunk);
      } else video = this.beginVideo(state, chunk);
      video.bytes = bytes;
      video.decoder.write(chunk);
    } catch (error) {
      void this.refuse(error);
    }
  }

  /** The first chunk: its container and frames are checked before ffmpeg starts, so a refused one costs no process. */
  private beginVideo(state: ClaimedSession, chunk: Uint8Array): Video {
    const container = sniffContainer(chunk);
    if (!container) throw new StreamRefusal('ValidationException', NOT_A_VIDEO);
    const sourceFrames = container === 'matroska' ? new WebmFrameCounter() : new Mp4FrameCounter();
    this.checkSourceFrames(sourceFrames, chunk);
    const video: Video = {
      decoder: this.startDecoder(state.query, container),
      sourceFrames,
      rank: this.nextVideoRank(),
      bytes: 0,
      frames: [],
      analysis: Promise.resolve(),
      closeLooks: new CloseLookSampler(this.options.limits.closeLooks),
      lastPlace: 'elsewhere',
    };
    this.state = { ...state, phase: 'receiving-video', video };
    return video;
  }

  /** Counts the chunk's frames; refuses a video that is not what it began as, or whose frames come faster than a camera's. */
  private checkSourceFrames(counter: SourceFrameCounter, chunk: Uint8Array): void {
    try {
      counter.push(chunk);
    } catch (error) {
      if (error instanceof SourceFormatError) throw new StreamRefusal('ValidationException', NOT_A_VIDEO);
      throw error;
    }
    const { maxSourceFps, maxFrames, sampleFps } = this.options.limits;
    // One second of slack: a clip's first second may hold a frame more than its rate says.
    if (counter.frames > maxSourceFps * (counter.spanMs / 1000 + 1)) {
      throw new StreamRefusal('ValidationException', `Video has more than ${maxSourceFps} frames a second`);
    }
    if (counter.spanMs > (maxFrames / sampleFps) * 1000) {
      throw new StreamRefusal('ValidationException', `Video longer than ${maxFrames / sampleFps} s`);
    }
  }

  private startDecoder(query: StartQuery, container: VideoContainer): VideoDecoder {
    return new VideoDecoder({
      container,
      fps: this.options.limits.sampleFps,
      width: query.videoWidth,
      height: query.videoHeight,
      onFrame: (frame) => this.enqueueFrame(frame.offsetMs, frame.image),
      onEarlyFailure: () => void this.refuseUndecodable(),
      launcher: this.launcher,
    });
  }

  private enqueueFrame(offsetMs: number, image: AnalysedFrame['image']): void {
    const state = this.state;
    if (state.phase !== 'receiving-video' && state.phase !== 'completing') return;
    const { limits } = this.options;
    const { video } = state;
    if (video.frames.length >= limits.maxFrames) {
      // While completing, the flushed frames past the limit are dropped; before, the video is too long.
      if (state.phase === 'receiving-video') {
        void this.refuse(new StreamRefusal('ValidationException', `Video longer than ${limits.maxFrames / limits.sampleFps} s`));
      }
      return;
    }
    const frame: AnalysedFrame = { offsetMs, image, faces: [] };
    video.frames.push(frame);
    const oval = ovalBox(state.serverChallenge, state.query.videoWidth, state.query.videoHeight);
    // One frame at a time, in order, while the client keeps streaming: whether to describe a frame is decided from
    // where the face was in the frame before, which has been located by then.
    video.analysis = video.analysis
      .then(async () => {
        if (video.failure || (this.state.phase !== 'receiving-video' && this.state.phase !== 'completing')) return;
        const describeSingleFace = video.closeLooks.wants(video.lastPlace);
        const scanned = await this.options.engine.scanFrame(image, { describeSingleFace, rank: video.rank });
        frame.faces = scanned.faces;
        frame.described = scanned.described;
        if (scanned.described) video.closeLooks.described();
        video.lastPlace = scanned.faces.length === 1 && isInOval(scanned.faces[0]!.box, oval) ? 'in-oval' : 'elsewhere';
      })
      .catch((error: unknown) => {
        // While the video comes, the stream ends now; while completing, complete() ends it once the analysis is done.
        video.failure = { error };
        void this.refuse(error);
      });
  }

  private async complete(): Promise<void> {
    const state = this.state;
    if (state.phase === 'awaiting-video') {
      this.finish();
      await this.refuseFinished(new StreamRefusal('ValidationException', 'The stream ended without any video'));
      return;
    }
    if (state.phase !== 'receiving-video') return;
    this.state = { ...state, phase: 'completing' };
    this.stopTimers();
    const { session, video } = state;
    try {
      const decoded = await video.decoder.finish();
      await video.analysis;
      if (video.failure) throw video.failure.error;
      const scoring = {
        challengeType: state.challengeType,
        serverChallenge: state.serverChallenge,
        videoWidth: state.query.videoWidth,
        videoHeight: state.query.videoHeight,
        decoded: { ...decoded, fps: this.options.limits.sampleFps },
        clientChallenges: state.clientChallenges,
        frames: video.frames,
        auditImagesLimit: session.auditImagesLimit,
      };
      const describe = (frames: AnalysedFrame[]) =>
        Promise.all(
          frames.map(async (frame) => {
            frame.described = (await this.options.engine.scanFrame(frame.image, { describeSingleFace: true, rank: video.rank })).described;
          }),
        );
      // Too few described frames in the oval (a short stay there, or a late reported fit): describe more of them now;
      // then all of them if one scores low.
      await describe(framesToDescribe(scoring, this.options.limits.minDescribedInOval));
      await describe(framesToConfirm(scoring, this.options.limits.describeAllInOvalBelow));
      const decision = decideLiveness(this.options.engine, scoring);
      this.state = { phase: 'finished', session };
      const images = decision.status === 'SUCCEEDED' ? await this.options.results.store(session, decision) : { auditImages: [] };
      session.status = decision.status;
      session.result = { confidence: decision.confidence, ...images, reasons: decision.reasons };
      await this.options.store.put(session);
      this.options.log({ event: 'liveness-result', sessionId: session.sessionId, status: decision.status, reasons: decision.reasons });
      this.send(encodeServerEvent({ DisconnectionEvent: { TimestampMillis: this.options.now() } }));
      this.close(1000);
    } catch (error) {
      this.finish();
      if (error instanceof VideoDecodeError) await this.refuseFinished(this.undecodable(session, error));
      else await this.internalError(error);
    }
  }

  /** ffmpeg gave up while the video was still coming: refused now rather than after the client has sent it all. */
  private async refuseUndecodable(): Promise<void> {
    const state = this.state;
    if (state.phase !== 'receiving-video') return;
    const why = await state.video.decoder.finish().then(
      () => new VideoDecodeError('ffmpeg stopped before the input ended'),
      (error: unknown) => error,
    );
    // The client may have ended the stream meanwhile, and complete() refused it.
    if (this.state !== state) return;
    await this.refuse(this.undecodable(state.session, why));
  }

  /** The refusal of a video ffmpeg could not decode: ffmpeg's own words go to the log, never to the client. */
  private undecodable(session: LivenessSession, error: unknown): StreamRefusal {
    this.options.log({
      event: 'liveness-video-undecodable',
      sessionId: session.sessionId,
      detail: String((error as Error)?.message ?? error),
    });
    return new StreamRefusal('ValidationException', 'Video could not be decoded');
  }

  private onClose(code: number): void {
    if (this.state.phase === 'finished' || this.state.phase === 'completing') return;
    const session = this.finish();
    void this.markFailed(session, `client closed the stream (code ${code}) before the video ended`);
  }

  /** Unless the stream is already ending: sends the exception, closes, and leaves the session FAILED (or EXPIRED). */
  private async refuse(error: unknown, why: 'refused' | 'expired' = 'refused', closeCode = 1000): Promise<void> {
    if (this.state.phase === 'finished' || this.state.phase === 'completing') return;
    this.finish();
    await this.refuseFinished(error, why, closeCode);
  }

  /** The refusal of a finished stream; past its lifetime the session keeps IN_PROGRESS, which then reads EXPIRED. */
  private async refuseFinished(error: unknown, why: 'refused' | 'expired' = 'refused', closeCode = 1000): Promise<void> {
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
    this.close(closeCode, refusal.exception);
    if (why !== 'expired') await this.markFailed(this.claimedSession(), refusal.message);
  }

  private async internalError(error: unknown): Promise<void> {
    const session = this.state.phase === 'finished' ? this.state.session : this.finish();
    this.options.log({ event: 'liveness-internal-error', error: String((error as Error)?.stack ?? error) });
    this.send(encodeServerException({ exception: 'InternalServerException', message: 'Internal server error' }));
    this.close(1000);
    await this.markFailed(session, 'internal error');
  }

  /** Takes no more input: stops the timers and ffmpeg, gives the slot back; returns the claimed session, if any. */
  private finish(): LivenessSession | undefined {
    const state = this.state;
    this.stopTimers();
    this.releaseSlot();
    if (state.phase === 'receiving-video' || state.phase === 'completing') state.video.decoder.abort();
    const session = this.claimedSession();
    this.state = { phase: 'finished', session };
    return session;
  }

  private claimedSession(): LivenessSession | undefined {
    return this.state.phase === 'awaiting-session' ? undefined : this.state.session;
  }

  private async markFailed(session: LivenessSession | undefined, reason: string): Promise<void> {
    if (session?.status !== 'IN_PROGRESS') return;
    session.status = 'FAILED';
    session.failure = reason;
    this.options.log({ event: 'liveness-failed', sessionId: session.sessionId, reason });
    try {
      await this.options.store.put(session);
    } catch (error) {
      this.options.log({ event: 'liveness-store-error', sessionId: session.sessionId, error: String(error) });
    }
  }

  private armIdleTimer(timeoutMs = this.options.limits.idleTimeoutMs): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(
      () =>
        void this.refuse(
          new StreamRefusal('ValidationException', `No event for ${timeoutMs} ms: stream idle timeout`),
          'refused',
          IDLE_CLOSE_CODE,
        ),
      timeoutMs,
    );
  }

  private stopTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
  }

  /** Closes the websocket; a peer that does not answer the close frame within CLOSE_ANSWER_MS is cut off. */
  private close(code: number, reason?: string): void {
    this.ws.close(code, reason);
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_ANSWER_MS);
    this.ws.once('close', () => clearTimeout(timer));
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

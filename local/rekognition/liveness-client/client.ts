/**
 * A Node client of the Face Liveness streaming protocol, doing what the FaceLivenessDetector does in a browser:
 * presign the websocket URL with SigV4, connect over TLS (trusting the given CA), read the server's challenge, record
 * (here: encode with ffmpeg) a WebM video, send it in 1-second chunks like MediaRecorder together with the
 * ClientSessionInformationEvents (start, colours shown, end) at honest times, end with an empty chunk and wait for
 * DisconnectionEvent. Every message goes in a signed envelope (`:date`, `:chunk-signature`) as the SDK sends it.
 *
 * Sources: a WebM file, a sequence of images, or one photo turned into a "moving closer" clip that follows the oval
 * the server sent (see movingCloserFrames), so tests and the demo can complete a session without a browser.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DetectFacesCommand, type RekognitionClient } from '@aws-sdk/client-rekognition';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import WebSocket from 'ws';
import {
  decodeServerMessage,
  encodeClientEvent,
  encodeSignedEnvelope,
  type ChallengeType,
  type ClientChallenge,
  type ClientEvent,
  type ServerChallenge,
  STREAM_PATH,
  type StreamException,
} from '../liveness/event-stream';
import type { BoundingBox } from '../../aws/bounding-box';
import {
  chunkLikeMediaRecorder,
  imagesToWebm,
  movingCloserFrames,
  preparePhoto,
  type RecordedFormat,
  recordInRealTime,
  sleep,
  START_FACE_SCALE,
  START_OFFSET,
  type PhotoFace,
  type PreparedPhoto,
} from './synthetic-video';
import { FFMPEG_PATH } from '../liveness/video-decoder';
import { ovalBox } from '../liveness/scoring';

/** What @aws-amplify/ui-react-liveness 3.x sends as challenge-versions. */
export const COMPONENT_CHALLENGE_VERSIONS = 'FaceMovementAndLightChallenge_2.0.0,FaceMovementChallenge_1.0.0';

export type VideoSource =
  /** A recorded WebM; the client claims the face reached the oval `inOvalAtMs` into it (default: 1 s before colours). */
  | { kind: 'webm'; webm: Buffer; durationMs?: number; initialFace?: BoundingBox; inOvalAtMs?: number }
  /** Still images shown one after another at `fps`. */
  | { kind: 'images'; images: Buffer[]; fps: number; initialFace?: BoundingBox; inOvalAtMs?: number }
  /**
   * One photo, zoomed so the face moves from afar into the server's oval over `approachMs`; recorded as Chrome and
   * Firefox do (WebM, the default) or as Safari does (fragmented MP4).
   */
  | { kind: 'moving-closer'; photo: Buffer; face: PhotoFace; approachMs?: number; prepared?: PreparedPhoto; recording?: RecordedFormat };

export interface LivenessClientOptions {
  /** `https://localhost:4581` (the streaming endpoint); the client connects with wss. */
  endpoint: string;
  /** PEM of the server's certificate (self-signed) to trust. */
  ca: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  sessionId: string;
  source: VideoSource;
  videoWidth?: number;
  videoHeight?: number;
  challengeVersions?: string;
  /** Stop after this many chunks without the empty end chunk (to test a truncated stream). */
  stopAfterChunks?: number;
  /**
   * Declare a start screen (`precheck-view-enabled=1`), as the Amplify component does by default; default true. The
   * server then waits longer for the first event, which this client sends only once it has rendered its video.
   */
  startScreen?: boolean;
}

export interface LivenessClientResult {
  challengeType?: ChallengeType;
  serverChallenge?: ServerChallenge;
  exceptions: StreamException[];
  disconnected: boolean;
  closeCode: number;
  /** Wall-clock times (ms) of the last video chunk sent and of the DisconnectionEvent received. */
  lastChunkSentAt?: number;
  disconnectedAt?: number;
}

/** Frames per second of the clips the client makes (a webcam gives 15-30; 10 keeps rendering cheap). */
const FRAME_RATE = 10;
const HOLD_BEFORE_COLOURS_MS = 1000;

export async function runLivenessSession(options: LivenessClientOptions): Promise<LivenessClientResult> {
  const width = options.videoWidth ?? 640;
  const height = options.videoHeight ?? 480;
  const source = await prepareSource(options.source, { width, height });
  const url = await presignStreamUrl(options, width, height);
  const ws = new WebSocket(url, { ca: options.ca });
  const result: LivenessClientResult = { exceptions: [], disconnected: false, closeCode: 0 };
  const closed = new Promise<void>((resolve) =>
    ws.on('close', (code) => {
      result.closeCode = code;
      resolve();
    }),
  );
  ws.on('error', () => undefined);
  let sessionInformation: (value: undefined) => void;
  const gotSessionInformation = new Promise<void>((resolve) => (sessionInformation = resolve));
  ws.on('message', (data: Buffer) => {
    const message = decodeServerMessage(data);
    if (message.kind === 'exception') {
      result.exceptions.push({ exception: message.exception, message: message.message });
      return;
    }
    const { event } = message;
    if ('ServerSessionInformationEvent' in event) {
      const [type, challenge] = Object.entries(event.ServerSessionInformationEvent.SessionInformation.Challenge)[0] ?? [];
      result.challengeType = type as ChallengeType;
      result.serverChallenge = challenge;
      sessionInformation(undefined);
    } else if ('DisconnectionEvent' in event) {
      result.disconnected = true;
      result.disconnectedAt = Date.now();
      ws.close(1000);
    }
  });
  await Promise.race([gotSessionInformation, closed]);
  if (!result.serverChallenge || !result.challengeType) {
    await closed;
    return result;
  }

  const signer = new MessageSigner(url, options);
  // Sends go out one at a time, in order, each in its signed envelope (the signatures chain).
  let sending = Promise.resolve();
  const send = (event: ClientEvent) => {
    sending = sending.then(async () => {
      const signed = await signer.sign(encodeClientEvent(event));
      if (ws.readyState === WebSocket.OPEN) ws.send(signed);
    });
    return sending;
  };
  const sent = await performChallenge({
    send,
    challengeType: result.challengeType,
    serverChallenge: result.serverChallenge,
    source,
    size: { width, height },
    ...(options.stopAfterChunks !== undefined ? { stopAfterChunks: options.stopAfterChunks } : {}),
  });
  if (sent.lastChunkSentAt !== undefined) result.lastChunkSentAt = sent.lastChunkSentAt;
  await closed;
  return result;
}

/** The largest face in a photo, found with Rekognition's DetectFaces (the local server's), for a moving-closer clip. */
export async function locateFace(rekognition: RekognitionClient, photo: Buffer): Promise<PhotoFace> {
  const { FaceDetails } = await rekognition.send(new DetectFacesCommand({ Image: { Bytes: photo } }));
  const box = FaceDetails?.[0]?.BoundingBox;
  if (box?.Left === undefined || box.Top === undefined || box.Width === undefined || box.Height === undefined) {
    throw new Error('no face in the photo');
  }
  return { left: box.Left, top: box.Top, width: box.Width, height: box.Height };
}

/**
 * Does the slow part of a moving-closer clip (decoding and padding the photo) before connecting, as a camera is on
 * before the stream opens: once the server's oval arrives, only the frames remain to render.
 */
export async function prepareSource(source: VideoSource, size: { width: number; height: number }): Promise<VideoSource> {
  if (source.kind === 'moving-closer')
    return source.prepared ? source : { ...source, prepared: await preparePhoto(source.photo, source.face, size) };
  const { initialFace, inOvalAtMs } = source;
  return {
    kind: 'webm',
    ...(await encodedVideo(source, size)),
    ...(initialFace ? { initialFace } : {}),
    ...(inOvalAtMs !== undefined ? { inOvalAtMs } : {}),
  };
}

async function encodedVideo(
  source: Exclude<VideoSource, { kind: 'moving-closer' }>,
  size: { width: number; height: number },
): Promise<{ webm: Buffer; durationMs: number }> {
  if (source.kind === 'images')
    return {
      webm: await imagesToWebm(source.images, size, source.fps),
      durationMs: Math.round((source.images.length * 1000) / source.fps),
    };
  return { webm: source.webm, durationMs: source.durationMs ?? (await probeDurationMs(source.webm)) };
}

export interface ChallengeRun {
  /** Sends one event; resolves when it has gone out. */
  send: (event: ClientEvent) => Promise<void>;
  challengeType: ChallengeType;
  serverChallenge: ServerChallenge;
  source: VideoSource;
  size: { width: number; height: number };
  stopAfterChunks?: number;
}

/**
 * What the component does once it has the server's challenge, over any transport: record, send the start event,
 * the chunks and the colour reports at their times, then the end event and the empty chunk (unless stopped early).
 */
export async function performChallenge(run: ChallengeRun): Promise<{ lastChunkSentAt?: number }> {
  const { send, challengeType, serverChallenge, size } = run;
  const plan = await planVideo(run.source, challengeType, serverChallenge, size);
  const challengeId = randomUUID();
  const wrap = (challenge: Omit<ClientChallenge, 'ChallengeId'>): ClientEvent => ({
    ClientSessionInformationEvent: { Challenge: { [challengeType]: { ChallengeId: challengeId, ...challenge } } },
  });
  const sent: { lastChunkSentAt?: number } = {};

  const recordingStart = Date.now();
  // In the video's own coordinates, as the component reports it (it flips its mirrored view's box back).
  const initialFace = { BoundingBox: plan.initialFace, InitialFaceDetectedTimestamp: recordingStart };
  void send(wrap({ VideoStartTimestamp: recordingStart, InitialFace: initialFace }));

  const sequence = serverChallenge.ColorSequences ?? [];
  const colourReports = Promise.all(
    plan.colourStarts.map(async ({ fromMs, index }, step) => {
      await sleep(recordingStart + fromMs - Date.now());
      const previous = plan.colourStarts[step - 1]?.index ?? index;
      await send(
        wrap({
          ColorDisplayed: {
            CurrentColor: sequence[index]!.FreshnessColor,
            PreviousColor: sequence[previous]!.FreshnessColor,
            SequenceNumber: index,
            // When the video shows it (the frames are lit by the schedule), not when this report leaves.
            CurrentColorStartTimestamp: recordingStart + fromMs,
          },
        }),
      );
    }),
  );
  let chunksSent = 0;
  const sendChunk = (chunk: Buffer) => {
    if (run.stopAfterChunks !== undefined && chunksSent >= run.stopAfterChunks) return;
    chunksSent += 1;
    void send({ VideoEvent: { VideoChunk: chunk, TimestampMillis: Date.now() } }).then(() => (sent.lastChunkSentAt = Date.now()));
  };
  await plan.record(sendChunk);
  await colourReports;
  if (run.stopAfterChunks !== undefined) return sent;
  const videoEnd = Date.now();
  const fitAt = Math.min(recordingStart + plan.inOvalAtMs, videoEnd);
  void send(
    wrap({
      VideoEndTimestamp: videoEnd,
      InitialFace: initialFace,
      TargetFace: {
        BoundingBox: ovalBox(serverChallenge, size.width, size.height),
        FaceDetectedInTargetPositionStartTimestamp: fitAt,
        FaceDetectedInTargetPositionEndTimestamp: fitAt,
      },
    }),
  );
  await send({ VideoEvent: { VideoChunk: new Uint8Array(0), TimestampMillis: Date.now() } });
  return sent;
}

/** The SigV4-presigned `wss://` URL, as the SDK's websocket middleware builds it (headers moved to the query). */
export async function presignStreamUrl(
  options: Pick<LivenessClientOptions, 'endpoint' | 'region' | 'credentials' | 'sessionId' | 'challengeVersions' | 'startScreen'>,
  width: number,
  height: number,
): Promise<string> {
  const endpoint = new URL(options.endpoint);
  const signer = new SignatureV4({ service: 'rekognition', region: options.region, credentials: credentialsOf(options), sha256: Sha256 });
  const request = new HttpRequest({
    protocol: 'wss:',
    method: 'GET',
    hostname: endpoint.hostname,
    port: Number(endpoint.port || 443),
    path: STREAM_PATH,
    headers: { host: endpoint.host },
    query: {
      'session-id': options.sessionId,
      'video-width': String(width),
      'video-height': String(height),
      'challenge-versions': options.challengeVersions ?? COMPONENT_CHALLENGE_VERSIONS,
      'precheck-view-enabled': options.startScreen === false ? '0' : '1',
    },
  });
  const signed = await signer.presign(request, { expiresIn: 299 });
  const query = new URLSearchParams(signed.query as Record<string, string>);
  return `wss://${endpoint.host}${STREAM_PATH}?${query.toString()}`;
}

const credentialsOf = (options: Pick<LivenessClientOptions, 'credentials'>) =>
  options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' };

/** Signs each message with the chain of signatures starting at the URL's, as the SDK's event signer does. */
class MessageSigner {
  private priorSignature: string;
  private readonly signer: SignatureV4;

  constructor(
    url: string,
    private readonly options: LivenessClientOptions,
  ) {
    this.priorSignature = new URL(url).searchParams.get('X-Amz-Signature') ?? '';
    this.signer = new SignatureV4({ service: 'rekognition', region: options.region, credentials: credentialsOf(options), sha256: Sha256 });
  }

  async sign(inner: Uint8Array): Promise<Uint8Array> {
    const date = new Date();
    const signed = await this.signer.signMessage(
      { message: { headers: { ':date': { type: 'timestamp', value: date } }, body: inner }, priorSignature: this.priorSignature },
      { signingDate: date, signingRegion: this.options.region, signingService: 'rekognition' },
    );
    this.priorSignature = signed.signature;
    return encodeSignedEnvelope(inner, date, Buffer.from(signed.signature, 'hex'));
  }
}

interface VideoPlan {
  /** Records the video in real time, handing out MediaRecorder-like chunks. */
  record(onChunk: (chunk: Buffer) => void): Promise<void>;
  /** Where the face is at the start, in video ratios. */
  initialFace: BoundingBox;
  inOvalAtMs: number;
  /** When each colour report is due (ms from the start), as the component reports them. */
  colourStarts: { fromMs: number; index: number }[];
}

/**
 * When the component reports colours: colour 0 at its first tick, and at that same tick colour 1 starting to scroll
 * down (the component's stage timer starts at 0, so colour 0's flat display ends at once); then each colour when it
 * starts scrolling down and again when it then stays flat.
 */
export function colourSchedule(challenge: ServerChallenge, fromMs: number): { starts: { fromMs: number; index: number }[]; endMs: number } {
  const starts: { fromMs: number; index: number }[] = [];
  let at = fromMs;
  (challenge.ColorSequences ?? []).forEach((colour, index) => {
    if (index === 0) {
      starts.push({ fromMs: at, index });
      return;
    }
    starts.push({ fromMs: at, index });
    at += colour.DownscrollDuration;
    if (colour.FlatDisplayDuration > 0) {
      starts.push({ fromMs: at, index });
      at += colour.FlatDisplayDuration;
    }
  });
  return { starts, endMs: at };
}

/** When a moving-closer clip reports the face in the oval: smoothstep(0.86) is about 0.95, that close to its final place. */
export const movingCloserFitMs = (approachMs: number) => Math.ceil(approachMs * 0.86);

async function planVideo(
  source: VideoSource,
  type: ChallengeType,
  challenge: ServerChallenge,
  size: { width: number; height: number },
): Promise<VideoPlan> {
  const oval = challenge.OvalParameters;
  const light = type === 'FaceMovementAndLightChallenge';
  if (source.kind === 'moving-closer') {
    const approachMs = source.approachMs ?? (light ? 1500 : 2500);
    const colours = light ? colourSchedule(challenge, approachMs + HOLD_BEFORE_COLOURS_MS) : undefined;
    const durationMs = colours ? colours.endMs + 200 : approachMs + 500;
    // Rendered before recording starts, so the recording runs at camera speed on a busy machine too.
    const prepared = source.prepared ?? (await preparePhoto(source.photo, source.face, size));
    const frames: Buffer[] = [];
    const rendered = movingCloserFrames(prepared, {
      size,
      fps: FRAME_RATE,
      oval,
      approachMs,
      holdMs: durationMs - approachMs,
      colours: colours?.starts.map(({ fromMs, index }) => ({ fromMs, rgb: challenge.ColorSequences![index]!.FreshnessColor.RGB })),
    });
    for await (const frame of rendered) frames.push(frame);
    const photoAspect = prepared.faceAspect;
    const startWidth = START_FACE_SCALE * oval.Width;
    return {
      record: (onChunk) => recordInRealTime(frames, size, FRAME_RATE, onChunk, source.recording),
      initialFace: {
        Width: startWidth / size.width,
        Height: (startWidth * photoAspect) / size.height,
        Left: (oval.CenterX - START_OFFSET.x * size.width - startWidth / 2) / size.width,
        Top: (oval.CenterY + START_OFFSET.y * size.height - (startWidth * photoAspect) / 2) / size.height,
      },
      inOvalAtMs: movingCloserFitMs(approachMs),
      colourStarts: colours?.starts ?? [],
    };
  }
  const { webm, durationMs } = await encodedVideo(source, size);
  const colourLength = light ? colourSchedule(challenge, 0).endMs : 0;
  const colourFrom = Math.max(0, durationMs - colourLength - 100);
  const chunks = chunkLikeMediaRecorder(webm, durationMs);
  return {
    record: async (onChunk) => {
      const start = Date.now();
      for (const [index, chunk] of chunks.entries()) {
        await sleep(start + (index === chunks.length - 1 ? durationMs : (index + 1) * 1000) - Date.now());
        onChunk(chunk);
      }
    },
    initialFace: source.initialFace ?? { Width: 0.25, Height: 0.35, Left: 0.375, Top: 0.3 },
    inOvalAtMs: source.inOvalAtMs ?? Math.max(0, (light ? colourFrom : durationMs) - HOLD_BEFORE_COLOURS_MS),
    colourStarts: light ? colourSchedule(challenge, colourFrom).starts : [],
  };
}

/** The video's length, from decoding it once with ffmpeg. */
async function probeDurationMs(webm: Buffer): Promise<number> {
  const ffmpeg = spawn(FFMPEG_PATH, ['-hide_banner', '-nostdin', '-i', 'pipe:0', '-f', 'null', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let log = '';
  ffmpeg.stderr.on('data', (data: Buffer) => (log += data.toString()));
  ffmpeg.stdin.on('error', () => undefined);
  ffmpeg.stdin.end(webm);
  await new Promise((resolve) => ffmpeg.on('close', resolve));
  const times = [...log.matchAll(/time=(\d+):(\d+):(\d+\.\d+)/g)];
  const last = times.at(-1);
  if (!last) throw new Error('ffmpeg could not read the video');
  return Math.round((Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3])) * 1000);
}

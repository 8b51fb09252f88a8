/**
 * The AWS event-stream messages of StartFaceLivenessSession, both ways, with the exact headers and JSON bodies that
 * `@aws-sdk/client-rekognitionstreaming` (restJson1 event streams) writes and reads:
 * - client -> server: each event (`:event-type` VideoEvent | ClientSessionInformationEvent, `:message-type` event,
 *   `:content-type` application/json, the event structure as JSON with blobs in base64) is wrapped by the SDK's
 *   event signer in an envelope message with `:date` and `:chunk-signature` headers; an envelope with an empty body
 *   is the end of the request stream.
 * - server -> client: events (ServerSessionInformationEvent, DisconnectionEvent, ChallengeEvent) and exceptions
 *   (`:message-type` exception, `:exception-type` the name, body `{"Message": ...}`), never wrapped.
 */
import { EventStreamCodec, type Message, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { BoundingBox } from '../../aws/bounding-box';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Where the FaceLivenessDetector connects (the SDK appends `-websocket` to the operation's path). */
export const STREAM_PATH = '/start-face-liveness-session-websocket';

export interface FreshnessColor {
  RGB: number[];
}

export interface ColorSequence {
  FreshnessColor: FreshnessColor;
  DownscrollDuration: number;
  FlatDisplayDuration: number;
}

export interface OvalParameters {
  Width: number;
  Height: number;
  CenterX: number;
  CenterY: number;
}

export interface ChallengeConfig {
  BlazeFaceDetectionThreshold: number;
  FaceDistanceThresholdMin: number;
  FaceDistanceThreshold: number;
  FaceDistanceThresholdMax: number;
  OvalIouThreshold: number;
  OvalHeightWidthRatio: number;
  OvalIouWidthThreshold: number;
  OvalIouHeightThreshold: number;
  FaceIouWidthThreshold: number;
  FaceIouHeightThreshold: number;
  OvalFitTimeout: number;
}

export type ChallengeType = 'FaceMovementAndLightChallenge' | 'FaceMovementChallenge';

export interface ServerChallenge {
  OvalParameters: OvalParameters;
  ChallengeConfig: ChallengeConfig;
  /** FaceMovementAndLightChallenge only. */
  LightChallengeType?: 'SEQUENTIAL';
  ColorSequences?: ColorSequence[];
}

export interface ColorDisplayed {
  CurrentColor: FreshnessColor;
  SequenceNumber: number;
  CurrentColorStartTimestamp: number;
  PreviousColor?: FreshnessColor;
}

export interface ClientChallenge {
  ChallengeId: string;
  VideoStartTimestamp?: number;
  VideoEndTimestamp?: number;
  InitialFace?: { BoundingBox: BoundingBox; InitialFaceDetectedTimestamp: number };
  TargetFace?: {
    BoundingBox: BoundingBox;
    FaceDetectedInTargetPositionStartTimestamp: number;
    FaceDetectedInTargetPositionEndTimestamp: number;
  };
  ColorDisplayed?: ColorDisplayed;
}

export type ClientEvent =
  | { VideoEvent: { VideoChunk: Uint8Array; TimestampMillis: number } }
  | { ClientSessionInformationEvent: { Challenge: Partial<Record<ChallengeType, ClientChallenge>> } };

export type ServerEvent =
  | { ServerSessionInformationEvent: { SessionInformation: { Challenge: Partial<Record<ChallengeType, ServerChallenge>> } } }
  | { DisconnectionEvent: { TimestampMillis: number } }
  | { ChallengeEvent: { Type: ChallengeType; Version: string } };

export const STREAM_EXCEPTIONS = [
  'ValidationException',
  'InternalServerException',
  'ThrottlingException',
  'ServiceQuotaExceededException',
  'ServiceUnavailableException',
  'SessionNotFoundException',
  'AccessDeniedException',
  // Not in the model's union, but what the component looks for to report a region mismatch.
  'InvalidSignatureException',
] as const;
export type StreamExceptionType = (typeof STREAM_EXCEPTIONS)[number];

export interface StreamException {
  exception: StreamExceptionType;
  message: string;
}

/** A frame the server cannot accept; the stream answers it with a ValidationException. */
export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError';
}

const jsonHeaders = (eventType: string): MessageHeaders => ({
  ':event-type': { type: 'string', value: eventType },
  ':message-type': { type: 'string', value: 'event' },
  ':content-type': { type: 'string', value: 'application/json' },
});

const eventName = (event: object): string => {
  const [name] = Object.keys(event);
  if (!name) throw new TypeError('an event has exactly one member');
  return name;
};

export function encodeServerEvent(event: ServerEvent): Uint8Array {
  const name = eventName(event);
  const body = (event as Record<string, unknown>)[name];
  return codec.encode({ headers: jsonHeaders(name), body: fromUtf8(JSON.stringify(body)) });
}

export function encodeServerException({ exception, message }: StreamException): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exception },
      ':message-type': { type: 'string', value: 'exception' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ Message: message })),
  });
}

/** The inner (unsigned) message of a client event; the sender wraps it in a signed envelope. */
export function encodeClientEvent(event: ClientEvent): Uint8Array {
  if ('VideoEvent' in event) {
    const { VideoChunk, TimestampMillis } = event.VideoEvent;
    const body = { VideoChunk: Buffer.from(VideoChunk).toString('base64'), TimestampMillis };
    return codec.encode({ headers: jsonHeaders('VideoEvent'), body: fromUtf8(JSON.stringify(body)) });
  }
  return codec.encode({
    headers: jsonHeaders('ClientSessionInformationEvent'),
    body: fromUtf8(JSON.stringify(event.ClientSessionInformationEvent)),
  });
}

/** The signed envelope the SDK's event signer sends around every inner message (and around the empty end frame). */
export function encodeSignedEnvelope(inner: Uint8Array, date: Date, signature: Uint8Array): Uint8Array {
  return codec.encode({
    headers: {
      ':date': { type: 'timestamp', value: date },
      ':chunk-signature': { type: 'binary', value: signature },
    },
    body: inner,
  });
}

export type DecodedClientFrame = { kind: 'event'; event: ClientEvent } | { kind: 'end' };

/** Decodes one websocket message from a client: a signed envelope (or a bare event message) into its event. */
export function decodeClientFrame(frame: Uint8Array): DecodedClientFrame {
  const outer = decodeMessage(frame, 'frame');
  let message = outer;
  if (outer.headers[':chunk-signature'] !== undefined) {
    if (outer.headers[':chunk-signature'].type !== 'binary') throw new MalformedFrameError(':chunk-signature is not binary');
    if (outer.headers[':date']?.type !== 'timestamp') throw new MalformedFrameError('signed frame without a :date timestamp');
    if (outer.body.byteLength === 0) return { kind: 'end' };
    message = decodeMessage(outer.body, 'signed frame body');
  }
  const messageType = stringHeader(message, ':message-type');
  if (messageType !== 'event') throw new MalformedFrameError(`:message-type ${messageType ?? '(missing)'} is not event`);
  const eventType = stringHeader(message, ':event-type');
  const body = parseJsonObject(message.body, eventType);
  if (eventType === 'VideoEvent') return { kind: 'event', event: { VideoEvent: parseVideoEvent(body) } };
  if (eventType === 'ClientSessionInformationEvent') {
    const challenge = body.Challenge;
    if (!isObject(challenge)) throw new MalformedFrameError('ClientSessionInformationEvent without a Challenge');
    const types = Object.keys(challenge);
    if (types.length !== 1 || !isChallengeType(types[0])) {
      throw new MalformedFrameError('ClientSessionInformationEvent.Challenge names no known challenge');
    }
    const inner = challenge[types[0]];
    if (!isObject(inner) || typeof inner.ChallengeId !== 'string') {
      throw new MalformedFrameError('client challenge without a ChallengeId');
    }
    checkClientChallenge(inner);
    return { kind: 'event', event: { ClientSessionInformationEvent: { Challenge: { [types[0]]: inner as unknown as ClientChallenge } } } };
  }
  throw new MalformedFrameError(`unknown :event-type ${eventType ?? '(missing)'}`);
}

export type DecodedServerMessage = { kind: 'event'; event: ServerEvent } | ({ kind: 'exception' } & StreamException);

/** Decodes one message from the server (used by the Node client and the tests). */
export function decodeServerMessage(frame: Uint8Array): DecodedServerMessage {
  const message = decodeMessage(frame, 'frame');
  const messageType = stringHeader(message, ':message-type');
  const body = parseJsonObject(message.body, messageType);
  if (messageType === 'exception') {
    const exception = stringHeader(message, ':exception-type');
    if (!STREAM_EXCEPTIONS.includes(exception as StreamExceptionType)) throw new MalformedFrameError(`unknown exception ${exception}`);
    return { kind: 'exception', exception: exception as StreamExceptionType, message: String(body.Message ?? '') };
  }
  const eventType = stringHeader(message, ':event-type');
  if (
    messageType !== 'event' ||
    !eventType ||
    !['ServerSessionInformationEvent', 'DisconnectionEvent', 'ChallengeEvent'].includes(eventType)
  ) {
    throw new MalformedFrameError(`unexpected server message ${messageType}/${eventType}`);
  }
  return { kind: 'event', event: { [eventType]: body } as unknown as ServerEvent };
}

function decodeMessage(bytes: Uint8Array, what: string): Message {
  try {
    return codec.decode(bytes);
  } catch {
    throw new MalformedFrameError(`${what} is not an event-stream message`);
  }
}

function stringHeader(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  return header?.type === 'string' ? header.value : undefined;
}

function parseJsonObject(body: Uint8Array, what: string | undefined): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(toUtf8(body));
  } catch {
    throw new MalformedFrameError(`${what ?? 'message'} body is not JSON`);
  }
  if (!isObject(parsed)) throw new MalformedFrameError(`${what ?? 'message'} body is not a JSON object`);
  return parsed;
}

function parseVideoEvent(body: Record<string, unknown>): { VideoChunk: Uint8Array; TimestampMillis: number } {
  const { VideoChunk, TimestampMillis } = body;
  if (typeof TimestampMillis !== 'number' || !Number.isFinite(TimestampMillis)) {
    throw new MalformedFrameError('VideoEvent.TimestampMillis is not a number');
  }
  if (VideoChunk === undefined) return { VideoChunk: new Uint8Array(0), TimestampMillis };
  if (typeof VideoChunk !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(VideoChunk)) {
    throw new MalformedFrameError('VideoEvent.VideoChunk is not base64');
  }
  return { VideoChunk: new Uint8Array(Buffer.from(VideoChunk, 'base64')), TimestampMillis };
}

/**
 * The members of a client challenge that scoring reads, where present, of the shape it reads them in: a face's
 * BoundingBox, a colour's RGB, SequenceNumber and start time. Which members are missing is scoring's to judge.
 */
function checkClientChallenge(challenge: Record<string, unknown>): void {
  const { InitialFace, TargetFace, ColorDisplayed } = challenge;
  if (InitialFace !== undefined) checkBox(InitialFace, 'InitialFace');
  if (TargetFace !== undefined) checkBox(TargetFace, 'TargetFace');
  if (ColorDisplayed === undefined) return;
  if (!isObject(ColorDisplayed)) throw new MalformedFrameError('ColorDisplayed is not an object');
  const { CurrentColor, SequenceNumber, CurrentColorStartTimestamp } = ColorDisplayed;
  if (!isObject(CurrentColor) || !Array.isArray(CurrentColor.RGB) || !CurrentColor.RGB.every((value) => typeof value === 'number')) {
    throw new MalformedFrameError('ColorDisplayed.CurrentColor has no RGB list of numbers');
  }
  if (typeof SequenceNumber !== 'number' || !Number.isInteger(SequenceNumber) || SequenceNumber < 0) {
    throw new MalformedFrameError('ColorDisplayed.SequenceNumber is not a count');
  }
  if (typeof CurrentColorStartTimestamp !== 'number' || !Number.isFinite(CurrentColorStartTimestamp)) {
    throw new MalformedFrameError('ColorDisplayed.CurrentColorStartTimestamp is not a number');
  }
}

/** `face`'s BoundingBox: Width, Height, Left and Top, each a number. */
function checkBox(face: unknown, name: string): void {
  const box = isObject(face) ? face.BoundingBox : undefined;
  const sides = ['Width', 'Height', 'Left', 'Top'] as const;
  if (!isObject(box) || !sides.every((side) => typeof box[side] === 'number' && Number.isFinite(box[side]))) {
    throw new MalformedFrameError(`${name}.BoundingBox is not Width, Height, Left and Top numbers`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const isChallengeType = (value: unknown): value is ChallengeType =>
  value === 'FaceMovementAndLightChallenge' || value === 'FaceMovementChallenge';

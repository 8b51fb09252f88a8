/** The StartFaceLivenessSession wire format: event-stream messages both ways, and the presigned query's checks. */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { buildServerChallenge } from '../../../local/rekognition/liveness/challenge';
import { presignStreamUrl } from '../../../local/rekognition/liveness-client/client';
import {
  decodeClientFrame,
  decodeServerMessage,
  encodeClientEvent,
  encodeServerEvent,
  encodeServerException,
  encodeSignedEnvelope,
  MalformedFrameError,
  STREAM_EXCEPTIONS,
  type ClientEvent,
  type ServerEvent,
} from '../../../local/rekognition/liveness/event-stream';
import { parseStartQuery } from '../../../local/rekognition/liveness/stream-server';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const signature = new Uint8Array(32).fill(7);
const signed = (event: ClientEvent) => encodeSignedEnvelope(encodeClientEvent(event), new Date(), signature);
const SESSION_ID = '5b3cdbd0-95ae-4880-a470-8475bcd7b783';

describe('server messages', () => {
  const light = buildServerChallenge('FaceMovementAndLightChallenge', 640, 480);
  const events: ServerEvent[] = [
    { ServerSessionInformationEvent: { SessionInformation: { Challenge: { FaceMovementAndLightChallenge: light } } } },
    {
      ServerSessionInformationEvent: {
        SessionInformation: { Challenge: { FaceMovementChallenge: buildServerChallenge('FaceMovementChallenge', 640, 480) } },
      },
    },
    { DisconnectionEvent: { TimestampMillis: 1_700_000_000_000 } },
    { ChallengeEvent: { Type: 'FaceMovementAndLightChallenge', Version: '2.0.0' } },
  ];

  const named = events.map((event) => {
    const [name, body] = Object.entries(event)[0]!;
    const challenge =
      name === 'ServerSessionInformationEvent'
        ? ` (${Object.keys((body as { SessionInformation: { Challenge: object } }).SessionInformation.Challenge)[0]})`
        : '';
    return [`${name}${challenge}`, event] as const;
  });

  it.each(named)('round-trip %s', (_name, event) => {
    expect(decodeServerMessage(encodeServerEvent(event))).toEqual({ kind: 'event', event });
  });

  it.each(STREAM_EXCEPTIONS.map((name) => [name]))('round-trip the %s exception', (exception) => {
    expect(decodeServerMessage(encodeServerException({ exception, message: 'why' }))).toEqual({
      kind: 'exception',
      exception,
      message: 'why',
    });
  });

  it('carry the headers the SDK reads', () => {
    const { headers } = codec.decode(encodeServerEvent(events[2]!));
    expect(headers).toEqual({
      ':event-type': { type: 'string', value: 'DisconnectionEvent' },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: 'application/json' },
    });
    expect(
      codec.decode(encodeServerException({ exception: 'ThrottlingException', message: 'slow down' })).headers[':exception-type'],
    ).toEqual({
      type: 'string',
      value: 'ThrottlingException',
    });
  });

  it('give the component every ChallengeConfig field, non-zero where it reads them, and an oval inside the frame', () => {
    expect(Object.keys(light.ChallengeConfig).sort()).toEqual(
      [
        'BlazeFaceDetectionThreshold',
        'FaceDistanceThreshold',
        'FaceDistanceThresholdMax',
        'FaceDistanceThresholdMin',
        'FaceIouHeightThreshold',
        'FaceIouWidthThreshold',
        'OvalFitTimeout',
        'OvalHeightWidthRatio',
        'OvalIouHeightThreshold',
        'OvalIouThreshold',
        'OvalIouWidthThreshold',
      ].sort(),
    );
    const { FaceDistanceThresholdMax: _unread, ...read } = light.ChallengeConfig;
    expect(Object.values(read).every((value) => value > 0)).toBe(true);
    const oval = light.OvalParameters;
    expect(oval.CenterY - oval.Height / 2).toBeGreaterThanOrEqual(0);
    expect(oval.CenterY + oval.Height / 2).toBeLessThanOrEqual(480);
    expect(light.ColorSequences!.length).toBeGreaterThan(1);
  });
});

describe('client frames', () => {
  const events: ClientEvent[] = [
    { VideoEvent: { VideoChunk: new Uint8Array([26, 69, 223, 163, 1, 2, 3]), TimestampMillis: 1_700_000_000_123 } },
    {
      ClientSessionInformationEvent: {
        Challenge: {
          FaceMovementAndLightChallenge: {
            ChallengeId: 'c1',
            VideoStartTimestamp: 1,
            InitialFace: { BoundingBox: { Width: 0.2, Height: 0.3, Left: 0.4, Top: 0.3 }, InitialFaceDetectedTimestamp: 2 },
          },
        },
      },
    },
    {
      ClientSessionInformationEvent: {
        Challenge: {
          FaceMovementAndLightChallenge: {
            ChallengeId: 'c1',
            ColorDisplayed: {
              CurrentColor: { RGB: [255, 0, 0] },
              PreviousColor: { RGB: [0, 0, 0] },
              SequenceNumber: 1,
              CurrentColorStartTimestamp: 3,
            },
          },
        },
      },
    },
    {
      ClientSessionInformationEvent: {
        Challenge: {
          FaceMovementChallenge: {
            ChallengeId: 'c2',
            VideoEndTimestamp: 9,
            TargetFace: {
              BoundingBox: { Width: 0.4, Height: 0.8, Left: 0.3, Top: 0.1 },
              FaceDetectedInTargetPositionStartTimestamp: 5,
              FaceDetectedInTargetPositionEndTimestamp: 5,
            },
          },
        },
      },
    },
  ];

  it.each(events.map((event, i) => [`${Object.keys(event)[0]} #${i}`, event] as const))(
    'unwrap the signed envelope around %s',
    (_name, event) => {
      expect(decodeClientFrame(signed(event))).toEqual({ kind: 'event', event });
    },
  );

  it('read an envelope with an empty body as the end of the request stream', () => {
    expect(decodeClientFrame(encodeSignedEnvelope(new Uint8Array(0), new Date(), signature))).toEqual({ kind: 'end' });
  });

  it('read an empty video chunk as an empty VideoChunk', () => {
    const frame = signed({ VideoEvent: { VideoChunk: new Uint8Array(0), TimestampMillis: 4 } });
    expect(decodeClientFrame(frame)).toEqual({
      kind: 'event',
      event: { VideoEvent: { VideoChunk: new Uint8Array(0), TimestampMillis: 4 } },
    });
  });

  it.each([
    ['bytes that are not a message', new Uint8Array([1, 2, 3, 4, 5])],
    [
      'an unknown event type',
      codec.encode({
        headers: { ':message-type': { type: 'string', value: 'event' }, ':event-type': { type: 'string', value: 'AudioEvent' } },
        body: fromUtf8('{}'),
      }),
    ],
    [
      'a body that is not JSON',
      codec.encode({
        headers: { ':message-type': { type: 'string', value: 'event' }, ':event-type': { type: 'string', value: 'VideoEvent' } },
        body: fromUtf8('{'),
      }),
    ],
    [
      'a signed envelope without :date',
      codec.encode({ headers: { ':chunk-signature': { type: 'binary', value: signature } }, body: encodeClientEvent(events[0]!) }),
    ],
    [
      'a challenge event naming no challenge',
      encodeSignedEnvelope(
        codec.encode({
          headers: {
            ':message-type': { type: 'string', value: 'event' },
            ':event-type': { type: 'string', value: 'ClientSessionInformationEvent' },
          },
          body: fromUtf8('{"Challenge":{}}'),
        }),
        new Date(),
        signature,
      ),
    ],
    [
      'an InitialFace without a BoundingBox',
      signed({
        ClientSessionInformationEvent: {
          Challenge: { FaceMovementChallenge: { ChallengeId: 'c1', InitialFace: { InitialFaceDetectedTimestamp: 2 } } },
        },
      } as unknown as ClientEvent),
    ],
    [
      'a TargetFace whose BoundingBox is not numbers',
      signed({
        ClientSessionInformationEvent: {
          Challenge: { FaceMovementChallenge: { ChallengeId: 'c1', TargetFace: { BoundingBox: { Width: '0.4' } } } },
        },
      } as unknown as ClientEvent),
    ],
    [
      'a ColorDisplayed without a CurrentColor',
      signed({
        ClientSessionInformationEvent: {
          Challenge: {
            FaceMovementAndLightChallenge: { ChallengeId: 'c1', ColorDisplayed: { SequenceNumber: 0, CurrentColorStartTimestamp: 3 } },
          },
        },
      } as unknown as ClientEvent),
    ],
  ])('refuse %s', (_name, frame) => {
    expect(() => decodeClientFrame(frame)).toThrow(MalformedFrameError);
  });

  it("refuse bytes that are not a message in words of their own, not the codec's", () => {
    expect(() => decodeClientFrame(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/^frame is not an event-stream message$/);
  });
});

describe('the presigned query', () => {
  /** The upgrade request's headers: the presigned URL signs its host. */
  const HOST = { host: 'localhost:4581' };
  const presigned = async (overrides: { region?: string } = {}) =>
    new URL(
      await presignStreamUrl(
        { endpoint: 'https://localhost:4581', region: overrides.region ?? 'us-east-1', sessionId: SESSION_ID },
        640,
        480,
      ),
    );

  it('is accepted as the client signs it, with any access key', async () => {
    expect(parseStartQuery(await presigned(), HOST, 'us-east-1', Date.now())).toEqual({
      sessionId: SESSION_ID,
      videoWidth: 640,
      videoHeight: 480,
      challengeVersions: 'FaceMovementAndLightChallenge_2.0.0,FaceMovementChallenge_1.0.0',
      startScreen: true,
    });
  });

  it('is refused once expired', async () => {
    await expect(presigned().then((url) => parseStartQuery(url, HOST, 'us-east-1', Date.now() + 300_000))).rejects.toMatchObject({
      exception: 'AccessDeniedException',
      message: 'Request has expired',
    });
  });

  it('is refused when signed for another region, as the component recognises', async () => {
    await expect(
      presigned({ region: 'eu-west-1' }).then((url) => parseStartQuery(url, HOST, 'us-east-1', Date.now())),
    ).rejects.toMatchObject({
      exception: 'InvalidSignatureException',
      message: expect.stringContaining('valid region'),
    });
  });

  it.each([
    ['X-Amz-Signature', 'AccessDeniedException'],
    ['X-Amz-Credential', 'AccessDeniedException'],
    ['session-id', 'ValidationException'],
    ['video-width', 'ValidationException'],
    ['challenge-versions', 'ValidationException'],
  ])('is refused without %s', async (name, exception) => {
    const url = await presigned();
    url.searchParams.delete(name);
    expect(() => parseStartQuery(url, HOST, 'us-east-1', Date.now())).toThrow(expect.objectContaining({ exception }));
  });

  it('is refused with a session id that is not a UUID', async () => {
    const url = await presigned();
    url.searchParams.set('session-id', 'not-a-session');
    expect(() => parseStartQuery(url, HOST, 'us-east-1', Date.now())).toThrow(
      expect.objectContaining({ exception: 'ValidationException' }),
    );
  });
});

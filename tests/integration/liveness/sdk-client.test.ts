/**
 * Wire compatibility with the AWS SDK's own streaming client, the one the FaceLivenessDetector uses
 * (@aws-sdk/client-rekognitionstreaming over @aws-sdk/middleware-websocket's WebSocketFetchHandler): its presigned
 * URL, signed message envelopes, end frame and event-stream deserialisation against the local endpoint.
 */
import { CreateFaceLivenessSessionCommand, GetFaceLivenessSessionResultsCommand } from '@aws-sdk/client-rekognition';
import {
  RekognitionStreamingClient,
  StartFaceLivenessSessionCommand,
  type LivenessRequestStream,
  type LivenessResponseStream,
} from '@aws-sdk/client-rekognitionstreaming';
import { WebSocketFetchHandler } from '@aws-sdk/middleware-websocket';
import WS from 'ws';
import { COMPONENT_CHALLENGE_VERSIONS, performChallenge, prepareSource } from '../../../local/rekognition/liveness-client/client';
import type { ChallengeType, ClientEvent, ServerChallenge } from '../../../local/rekognition/liveness/event-stream';
import { CREDENTIALS, locateFace, fixture, REGION, startLivenessStack, startS3, temporaryDirectory, type LivenessStack } from './harness';

let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
let s3: Awaited<ReturnType<typeof startS3>>;
let stack: LivenessStack;

beforeAll(async () => {
  directory = await temporaryDirectory('liveness-sdk-');
  s3 = await startS3(`${directory.path}/s3`, []);
  stack = await startLivenessStack({ dataDir: `${directory.path}/server`, s3Endpoint: s3.endpoint });
  const ca = stack.ca;
  // The browser's WebSocket, as the SDK's handler expects it; Node 20 has none, so ws, trusting the local certificate.
  // It stays for the whole file (its own jest context): sockets still closing after the tests look it up.
  globalThis.WebSocket = class extends WS {
    constructor(url: string) {
      super(url, { ca });
    }
  } as unknown as typeof WebSocket;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await s3?.stop();
  await directory?.remove();
});

/** The request stream the component feeds: events pushed as they happen, ended after the disconnection. */
function requestStream() {
  const queued: ClientEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push: async (event: ClientEvent) => {
      queued.push(event);
      notify();
    },
    end: () => {
      ended = true;
      notify();
    },
    async *events(): AsyncGenerator<LivenessRequestStream> {
      for (;;) {
        const next = queued.shift();
        if (next) yield next as LivenessRequestStream;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

async function startStream(sessionId: string, requests: ReturnType<typeof requestStream>) {
  const client = new RekognitionStreamingClient({
    region: REGION,
    credentials: CREDENTIALS,
    endpoint: stack.streamingEndpoint,
    requestHandler: new WebSocketFetchHandler(),
  });
  const output = await client
    .send(
      new StartFaceLivenessSessionCommand({
        SessionId: sessionId,
        VideoWidth: '640',
        VideoHeight: '480',
        ChallengeVersions: COMPONENT_CHALLENGE_VERSIONS,
        LivenessRequestStream: requests.events(),
      }),
    )
    .catch((error: unknown) => {
      client.destroy();
      throw error;
    });
  return { client, responses: output.LivenessResponseStream as AsyncIterable<LivenessResponseStream> };
}

it('completes a session driven through the SDK client the component uses', async () => {
  const { SessionId } = await stack.rekognition.send(new CreateFaceLivenessSessionCommand({}));
  const photo = await fixture('liveness-selfie-angelina_jolie-img6.jpg');
  const source = await prepareSource(
    { kind: 'moving-closer', photo, face: await locateFace(stack.rekognition, photo) },
    { width: 640, height: 480 },
  );
  const requests = requestStream();
  const { client, responses } = await startStream(SessionId!, requests);
  const received: string[] = [];
  let challenge: Promise<void> | undefined;
  for await (const event of responses) {
    received.push(Object.keys(event).find((key) => key !== '$unknown')!);
    const information = event.ServerSessionInformationEvent?.SessionInformation?.Challenge;
    if (information) {
      const [type, serverChallenge] = Object.entries(information).find(([, value]) => value)!;
      challenge = performChallenge({
        send: requests.push,
        challengeType: type as ChallengeType,
        serverChallenge: serverChallenge as ServerChallenge,
        source,
        size: { width: 640, height: 480 },
      }).then(() => undefined);
    }
    if (event.DisconnectionEvent) requests.end();
  }
  await challenge;
  client.destroy();
  expect(received).toEqual(['ChallengeEvent', 'ServerSessionInformationEvent', 'DisconnectionEvent']);
  const results = await stack.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId }));
  expect(results.Status).toBe('SUCCEEDED');
  expect(results.Confidence).toBeGreaterThanOrEqual(90);
}, 60_000);

it('surfaces a refusal to the SDK client as the named exception', async () => {
  const requests = requestStream();
  // The SDK reads the first event while answering send(), so the refusal arrives there.
  await expect(startStream('00000000-0000-4000-8000-000000000000', requests)).rejects.toMatchObject({
    name: 'SessionNotFoundException',
    message: expect.stringContaining('Session not found'),
  });
  requests.end();
});

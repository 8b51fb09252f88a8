/**
 * The liveness decision on analysed frames (every face located, some frames described by the face engine) and the
 * client's reports. The frames here are built to the geometry of a face moving into the oval, every one described
 * unless a test says otherwise; similarity is plain cosine on the embeddings, mapped to 0-100.
 */
import { buildServerChallenge } from '../../../local/rekognition/liveness/challenge';
import { colourSchedule } from '../../../local/rekognition/liveness-client/client';
import type { ClientChallenge, ServerChallenge } from '../../../local/rekognition/liveness/event-stream';
import { CloseLookSampler, type FramePlace, type RandomIndex } from '../../../local/rekognition/liveness/close-looks';
import {
  decideLiveness,
  framesToConfirm,
  framesToDescribe,
  isInOval,
  ovalBox,
  type AnalysedFrame,
  type ScoringInput,
} from '../../../local/rekognition/liveness/scoring';
import { DEFAULT_STREAM_LIMITS } from '../../../local/rekognition/liveness/stream-server';
import type { DetectedFace } from '../../../local/rekognition/engine/types';

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 4;
const T0 = 1_700_000_000_000;
const APPROACH_MS = 1500;
const cosine = {
  similarity: (a: Float32Array, b: Float32Array) =>
    100 *
    Math.max(
      0,
      a.reduce((sum, v, i) => sum + v * b[i]!, 0),
    ),
};

const unit = (axis: number) => Float32Array.from({ length: 4 }, (_, i) => (i === axis ? 1 : 0));

function faceAt(progress: number, challenge: ServerChallenge, sharpness = 60, embedding = unit(0)): DetectedFace {
  const oval = challenge.OvalParameters;
  const width = (0.4 + 0.45 * progress) * oval.Width;
  const cx = oval.CenterX - 0.12 * WIDTH * (1 - progress);
  const cy = oval.CenterY + 0.06 * HEIGHT * (1 - progress);
  return {
    box: { left: (cx - width / 2) / WIDTH, top: (cy - width * 0.6) / HEIGHT, width: width / WIDTH, height: (width * 1.2) / HEIGHT },
    confidence: 99,
    landmarks: [],
    pose: { roll: 0, yaw: 0, pitch: 0 },
    quality: { brightness: 60, sharpness },
    embedding,
  };
}

/** Puts `face` in the frame, described with the anti-spoof probability `live`. */
function show(frame: AnalysedFrame, face: DetectedFace, live = 0.9): void {
  frame.faces = [{ box: face.box, confidence: face.confidence }];
  frame.described = { face, live };
}

/** The frames that show the face after the reported fit (the 350 ms before it included), which are in the oval. */
const inOvalFrames = (input: ScoringInput) => input.frames.filter((f) => f.offsetMs >= APPROACH_MS - 350);

/** A 5 s FaceMovementAndLightChallenge session done as the component does it. */
function session(): ScoringInput {
  const challenge = buildServerChallenge('FaceMovementAndLightChallenge', WIDTH, HEIGHT);
  const oval = challenge.OvalParameters;
  const frames: AnalysedFrame[] = Array.from({ length: 20 }, (_, i) => {
    const offsetMs = (i * 1000) / FPS;
    const frame: AnalysedFrame = { offsetMs, image: { data: Buffer.alloc(3), width: 1, height: 1, channels: 3 }, faces: [] };
    show(frame, faceAt(Math.min(1, offsetMs / APPROACH_MS), challenge), 0.9 + i / 1000);
    return frame;
  });
  const start = faceAt(0, challenge).box;
  const initialFace = {
    BoundingBox: { Width: start.width, Height: start.height, Left: start.left, Top: start.top },
    InitialFaceDetectedTimestamp: T0,
  };
  const colours = colourSchedule(challenge, APPROACH_MS + 1000).starts.map(
    ({ fromMs, index }): ClientChallenge => ({
      ChallengeId: 'c',
      ColorDisplayed: {
        CurrentColor: challenge.ColorSequences![index]!.FreshnessColor,
        SequenceNumber: index,
        CurrentColorStartTimestamp: T0 + fromMs,
      },
    }),
  );
  const fit = T0 + APPROACH_MS - 100;
  return {
    challengeType: 'FaceMovementAndLightChallenge',
    serverChallenge: challenge,
    videoWidth: WIDTH,
    videoHeight: HEIGHT,
    decoded: { sourceWidth: WIDTH, sourceHeight: HEIGHT, fps: FPS },
    clientChallenges: [
      { ChallengeId: 'c', VideoStartTimestamp: T0, InitialFace: initialFace },
      ...colours,
      {
        ChallengeId: 'c',
        VideoEndTimestamp: T0 + 5000,
        InitialFace: initialFace,
        TargetFace: {
          BoundingBox: {
            Width: oval.Width / WIDTH,
            Height: oval.Height / HEIGHT,
            Left: (oval.CenterX - oval.Width / 2) / WIDTH,
            Top: (oval.CenterY - oval.Height / 2) / HEIGHT,
          },
          FaceDetectedInTargetPositionStartTimestamp: fit,
          FaceDetectedInTargetPositionEndTimestamp: fit,
        },
      },
    ],
    frames,
    auditImagesLimit: 2,
  };
}

it('passes a face that moves into the oval while the colours play, scoring the median anti-spoof probability', () => {
  const input = session();
  const decision = decideLiveness(cosine, input);
  expect(decision.status).toBe('SUCCEEDED');
  const inOval = inOvalFrames(input).map((f) => f.described!.live);
  const sorted = [...inOval].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  expect(decision.confidence).toBeCloseTo(median * 100, 2);
  expect(decision.audits).toHaveLength(2);
});

it("accepts colour 0 giving way to colour 1 at the component's first tick", () => {
  const input = session();
  const [first, second] = input.clientChallenges.filter((c) => c.ColorDisplayed).map((c) => c.ColorDisplayed!);
  expect([first!.SequenceNumber, second!.SequenceNumber, second!.CurrentColorStartTimestamp - first!.CurrentColorStartTimestamp]).toEqual([
    0, 1, 0,
  ]);
  expect(decideLiveness(cosine, input).status).toBe('SUCCEEDED');
});

it('takes the sharpest frontal frame in the oval as the reference image', () => {
  const input = session();
  const sharpest = input.frames[15]!;
  show(sharpest, faceAt(1, input.serverChallenge, 95));
  expect(decideLiveness(cosine, input).reference?.frame).toBe(sharpest);
});

it('takes the reference image and the anti-spoof median from described frames only', () => {
  const input = session();
  const undescribed = input.frames[15]!;
  show(undescribed, faceAt(1, input.serverChallenge, 95));
  delete undescribed.described;
  const decision = decideLiveness(cosine, input);
  expect(decision.reference?.frame).not.toBe(undescribed);
  expect(decision.reasons.at(-1)).toMatch(
    new RegExp(`^median anti-spoof probability [0-9.]+ over ${inOvalFrames(input).length - 1} frames$`),
  );
});

it('fails a colour that is not the one the server sent', () => {
  const input = session();
  const report = input.clientChallenges.find((c) => c.ColorDisplayed?.SequenceNumber === 2)!;
  const sent = report.ColorDisplayed!.CurrentColor.RGB;
  report.ColorDisplayed!.CurrentColor = { RGB: sent.map((v) => 255 - v) };
  const decision = decideLiveness(cosine, input);
  expect([decision.status, decision.reasons.at(-1)]).toEqual(['FAILED', 'colour 2 is not the colour sent']);
});

it('fails colours shown far shorter than the server asked', () => {
  const input = session();
  for (const report of input.clientChallenges) {
    if (report.ColorDisplayed) report.ColorDisplayed.CurrentColorStartTimestamp = T0 + 2500 + report.ColorDisplayed.SequenceNumber * 50;
  }
  expect(decideLiveness(cosine, input).reasons.at(-1)).toMatch(/was shown for 50 ms/);
});

it('fails when another person appears during the video', () => {
  const input = session();
  show(input.frames[8]!, faceAt(1, input.serverChallenge, 60, unit(1)));
  const decision = decideLiveness(cosine, input);
  expect([decision.status, decision.reasons.at(-1)]).toEqual(['FAILED', '1 frames show a different person']);
});

it('fails another person seen in a described frame before the face reached the oval', () => {
  const input = session();
  show(input.frames[1]!, faceAt(0.2, input.serverChallenge, 60, unit(1)));
  for (const frame of input.frames.filter((_, i) => i % 2 === 0)) delete frame.described;
  expect(decideLiveness(cosine, input).reasons.at(-1)).toBe('1 frames show a different person');
});

it('fails a session in which no frame in the oval was described', () => {
  const input = session();
  for (const frame of inOvalFrames(input)) delete frame.described;
  expect(decideLiveness(cosine, input).reasons.at(-1)).toBe('no frame in the oval was described');
});

it('asks for in-oval frames to be described until the minimum is, drawn at random among the others', () => {
  const input = session();
  const inOval = inOvalFrames(input);
  for (const frame of inOval.slice(1)) delete frame.described;
  const undescribed = inOval.slice(1);
  expect(framesToDescribe(input, 4, () => 0)).toEqual(undescribed.slice(0, 3));
  // Draw i swaps item i with the last one left: the first two and the last.
  expect(framesToDescribe(input, 4, (max) => max - 1)).toEqual([undescribed[0], undescribed[1], undescribed.at(-1)]);
});

it('asks for every undescribed in-oval frame when there are fewer than the minimum', () => {
  const input = session();
  const inOval = inOvalFrames(input);
  for (const frame of inOval) delete frame.described;
  expect(framesToDescribe(input, inOval.length + 5)).toEqual(inOval);
});

it('asks for nothing more when enough in-oval frames are described, or when the session fails anyway', () => {
  const input = session();
  expect(framesToDescribe(input, 6)).toEqual([]);
  for (const frame of input.frames) delete frame.described;
  input.clientChallenges.pop();
  expect(framesToDescribe(input, 6)).toEqual([]);
});

it('asks for every undescribed in-oval frame when one described in-oval frame scores under the level', () => {
  const input = session();
  const inOval = inOvalFrames(input);
  for (const frame of inOval.slice(3)) delete frame.described;
  for (const frame of inOval.slice(0, 2)) frame.described!.live = 0.99;
  inOval[2]!.described!.live = 0.94;
  expect(framesToConfirm(input, 0.95)).toEqual(inOval.slice(3));
});

it('asks for no more frames when every described in-oval frame scores at the level or above', () => {
  const input = session();
  const inOval = inOvalFrames(input);
  for (const frame of inOval.slice(3)) delete frame.described;
  for (const frame of inOval.slice(0, 3)) frame.described!.live = 0.95;
  expect(framesToConfirm(input, 0.95)).toEqual([]);
});

it('fails a TargetFace that is not the oval the server sent', () => {
  const input = session();
  input.clientChallenges.at(-1)!.TargetFace!.BoundingBox.Left += 0.1;
  expect(decideLiveness(cosine, input).reasons).toEqual(['TargetFace.BoundingBox is not the oval the server sent']);
});

it('fails a video much shorter than the client reported', () => {
  const input = session();
  input.clientChallenges.at(-1)!.VideoEndTimestamp = T0 + 12_000;
  expect(decideLiveness(cosine, input).reasons[0]).toMatch(/video lasts about 5000 ms but the client reported 12000 ms/);
});

it('fails a video whose frames are not the size the client declared', () => {
  const input = session();
  input.decoded = { sourceWidth: 1280, sourceHeight: 720, fps: FPS };
  expect(decideLiveness(cosine, input).status).toBe('FAILED');
});

it('fails a session without the end event', () => {
  const input = session();
  input.clientChallenges.pop();
  expect(decideLiveness(cosine, input).reasons).toEqual(['no end event with VideoEndTimestamp and TargetFace']);
});

/**
 * Keeps the descriptions of the frames the stream server would describe with these draws (its default policy: the
 * sampler while streaming, then the top-up, then all in-oval frames if their median is low) and drops the others';
 * returns the indices kept.
 */
function describeAsTheServerDoes(input: ScoringInput, pick: RandomIndex): number[] {
  const { closeLooks, minDescribedInOval, describeAllInOvalBelow } = DEFAULT_STREAM_LIMITS;
  const sampler = new CloseLookSampler(closeLooks, pick);
  const oval = ovalBox(input.serverChallenge, WIDTH, HEIGHT);
  const descriptions = new Map(input.frames.map((frame) => [frame, frame.described]));
  let place: FramePlace = 'elsewhere';
  for (const frame of input.frames) {
    if (sampler.wants(place) && frame.faces.length === 1) sampler.described();
    else delete frame.described;
    place = frame.faces.length === 1 && isInOval(frame.faces[0]!.box, oval) ? 'in-oval' : 'elsewhere';
  }
  for (const frame of framesToDescribe(input, minDescribedInOval, pick)) frame.described = descriptions.get(frame);
  for (const frame of framesToConfirm(input, describeAllInOvalBelow)) frame.described = descriptions.get(frame);
  return input.frames.flatMap((frame, index) => (frame.described ? [index] : []));
}

const DRAWS: [string, () => RandomIndex][] = [
  ['always the first frame of a run', () => () => 0],
  ['always the last', () => (max) => max - 1],
  ['at random', () => (max) => Math.floor(Math.random() * max)],
];

it.each(DRAWS)('describes at least the minimum of in-oval frames, and a frame of the approach, drawing %s', (_, draws) => {
  const input = session();
  const described = describeAsTheServerDoes(input, draws());
  const inOval = inOvalFrames(input).map((frame) => input.frames.indexOf(frame));
  expect(described.filter((index) => inOval.includes(index)).length).toBeGreaterThanOrEqual(DEFAULT_STREAM_LIMITS.minDescribedInOval);
  expect(described.some((index) => !inOval.includes(index))).toBe(true);
  expect(decideLiveness(cosine, input).status).toBe('SUCCEEDED');
});

it.each(DRAWS)('describes every in-oval frame of a video whose sampled frames score low, drawing %s', (_, draws) => {
  const input = session();
  for (const frame of inOvalFrames(input)) frame.described!.live = 0.6;
  const described = describeAsTheServerDoes(input, draws());
  expect(inOvalFrames(input).every((frame) => described.includes(input.frames.indexOf(frame)))).toBe(true);
});

it.each(DRAWS)('fails another person swapped in over a whole run of in-oval frames, drawing %s', (_, draws) => {
  const input = session();
  const { inOvalRun } = DEFAULT_STREAM_LIMITS.closeLooks;
  // Any 2 x run - 1 consecutive frames of one stream hold a whole run of it.
  for (const frame of inOvalFrames(input).slice(3, 3 + 2 * inOvalRun - 1)) show(frame, faceAt(1, input.serverChallenge, 60, unit(1)));
  describeAsTheServerDoes(input, draws());
  expect(decideLiveness(cosine, input).reasons.at(-1)).toMatch(/^\d+ frames show a different person$/);
});

/**
 * The liveness decision, from the frames (decoded and analysed by the face engine) checked against what the client
 * reported. A development stand-in for Rekognition's model, not a certified presentation-attack detector.
 *
 * Hard checks (any failing makes the session FAILED, Confidence 0, no images):
 * - the client's events: a start event (VideoStartTimestamp, InitialFace) and an end event (TargetFace,
 *   VideoEndTimestamp) for the session's challenge, one ChallengeId, timestamps in order, the reported video length
 *   within 1.5 s (or 30%) of the decoded length, the decoded frame size equal to the declared one, and a TargetFace
 *   box equal to the oval the server sent;
 * - exactly one face: at most 10% of sampled frames with more than one face, at least 75% with exactly one;
 * - one person: every described frame's face matches the reference frame's face (engine Similarity >= 70). Every
 *   frame is located (detection only); the stream server describes (embedding, anti-spoof score) single-face frames
 *   chosen at random, spread over the video, and at least a minimum of in-oval frames (./close-looks.ts);
 * - the movement, seen in the frames: the face near the reported InitialFace time is roughly where the client said
 *   (centre within 0.2, width within 2x); from the reported in-oval time on, at least 70% of frames
 *   show the face inside the oval (centre within half the oval's radii, width 0.5-1.3 of the oval's); and the face
 *   grew by at least 1.2x from start to end (a still image does not);
 * - FaceMovementAndLightChallenge: the reported colours are the server's sequence in order, each shown for about its
 *   sent duration (at least 80% of it minus 30 ms, at most the duration plus 1 s; colour 0 may last 0 ms, as the
 *   component skips its flat display).
 * When all hold: SUCCEEDED with Confidence = 100 x the median anti-spoof probability of the described in-oval
 * frames. The reference image is the sharpest, most frontal described in-oval frame; audit images are spread over
 * the remaining single-face frames.
 */
import type { DetectedFace, FaceEngine, LocatedFace, NormalisedBox, RawImage, ScannedFrame } from '../engine/types';
import type { BoundingBox } from '../../aws/bounding-box';
import { drawAtRandom, type RandomIndex } from './close-looks';
import type { ChallengeType, ClientChallenge, ColorDisplayed, ServerChallenge } from './event-stream';

/** A sampled frame: its faces located, and for the frames looked at closely, the face described and scored. */
export interface AnalysedFrame extends ScannedFrame {
  /** Milliseconds from the first frame. */
  offsetMs: number;
  image: RawImage;
}

export interface ScoringInput {
  challengeType: ChallengeType;
  serverChallenge: ServerChallenge;
  videoWidth: number;
  videoHeight: number;
  /** What ffmpeg found; undefined fields were not reported. */
  decoded: { sourceWidth?: number; sourceHeight?: number; fps: number };
  clientChallenges: ClientChallenge[];
  frames: AnalysedFrame[];
  auditImagesLimit: number;
}

export interface ChosenFrame {
  frame: AnalysedFrame;
  box: BoundingBox;
}

export interface LivenessDecision {
  status: 'SUCCEEDED' | 'FAILED';
  confidence: number;
  reasons: string[];
  reference?: ChosenFrame;
  audits: ChosenFrame[];
}

const SAME_PERSON_SIMILARITY = 70;
/** Frames from this long before the reported fit in the oval on are checked for it (and may count as in the oval). */
export const FIT_SLACK_MS = 250;
const MIN_GROWTH = 1.2;

/** The frames that passed the movement checks: those with exactly one face, and those of them in the oval. */
interface Movement {
  single: AnalysedFrame[];
  inOval: AnalysedFrame[];
}

/**
 * The in-oval frames still to describe before deciding, so that at least `minimum` are (the anti-spoof median's and
 * the reference image's candidates), drawn at random among the others; none when the session fails before that.
 */
export function framesToDescribe(input: ScoringInput, minimum: number, pick?: RandomIndex): AnalysedFrame[] {
  const movement = checkMovement(input, []);
  if (typeof movement === 'string') return [];
  const described = movement.inOval.filter((f) => f.described).length;
  return drawAtRandom(
    movement.inOval.filter((f) => !f.described),
    minimum - described,
    pick,
  );
}

/**
 * Every in-oval frame not described yet, when any of those that are has an anti-spoof probability under `level`: the
 * sample decides only when it is unanimous, else the decision takes the whole stay in the oval, as when every frame
 * was described. So a sample never fails a video that the whole stay would pass (at thresholds up to `level`), and
 * lifts one that the whole stay would fail only if every sampled frame lands among its minority of high frames.
 */
export function framesToConfirm(input: ScoringInput, level: number): AnalysedFrame[] {
  const movement = checkMovement(input, []);
  if (typeof movement === 'string') return [];
  const described = movement.inOval.filter((f) => f.described);
  if (described.length > 0 && described.every((f) => f.described!.live >= level)) return [];
  return movement.inOval.filter((f) => !f.described);
}

export function decideLiveness(engine: Pick<FaceEngine, 'similarity'>, input: ScoringInput): LivenessDecision {
  const reasons: string[] = [];
  const fail = (reason: string): LivenessDecision => ({ status: 'FAILED', confidence: 0, reasons: [...reasons, reason], audits: [] });
  const movement = checkMovement(input, reasons);
  if (typeof movement === 'string') return fail(movement);
  const { single, inOval } = movement;

  const candidates = inOval.filter((f) => f.described);
  if (candidates.length === 0) return fail('no frame in the oval was described');
  const reference = [...candidates].sort((a, b) => frontalSharpness(described(b)) - frontalSharpness(described(a)))[0]!;
  const referenceFace = described(reference);
  const strangers = single.filter(
    (f) => f.described && engine.similarity(f.described.face.embedding, referenceFace.embedding) < SAME_PERSON_SIMILARITY,
  );
  if (strangers.length > 0) return fail(`${strangers.length} frames show a different person`);
  reasons.push(`the same person in the ${single.filter((f) => f.described).length} described of ${single.length} single-face frames`);

  const live = median(candidates.map((f) => f.described!.live));
  reasons.push(`median anti-spoof probability ${live.toFixed(3)} over ${candidates.length} frames`);

  const others = single.filter((f) => f !== reference);
  const audits = spread(others, input.auditImagesLimit).map((f) => ({ frame: f, box: toRatios(face(f).box) }));
  return {
    status: 'SUCCEEDED',
    confidence: Math.round(live * 100 * 1000) / 1000,
    reasons,
    reference: { frame: reference, box: toRatios(referenceFace.box) },
    audits,
  };
}

/** Every check but identity and liveness: the client's events, the video, one face, and the movement into the oval. */
function checkMovement(input: ScoringInput, reasons: string[]): Movement | string {
  const events = readEvents(input);
  if (typeof events === 'string') return events;
  const { start, end, colours } = events;
  const videoStart = start.VideoStartTimestamp!;
  const at = (frame: AnalysedFrame) => videoStart + frame.offsetMs;

  const { sourceWidth, sourceHeight, fps } = input.decoded;
  if (sourceWidth !== undefined && (sourceWidth !== input.videoWidth || sourceHeight !== input.videoHeight)) {
    return `video is ${sourceWidth}x${sourceHeight}, not the declared ${input.videoWidth}x${input.videoHeight}`;
  }
  const decodedMs = (input.frames.length * 1000) / fps;
  const reportedMs = end.VideoEndTimestamp! - videoStart;
  if (Math.abs(decodedMs - reportedMs) > Math.max(1500, 0.3 * reportedMs)) {
    return `video lasts about ${decodedMs} ms but the client reported ${reportedMs} ms`;
  }

  const oval = ovalBox(input.serverChallenge, input.videoWidth, input.videoHeight);
  const target = end.TargetFace!;
  if ((['Width', 'Height', 'Left', 'Top'] as const).some((k) => Math.abs(target.BoundingBox[k] - oval[k]) > 0.02)) {
    return 'TargetFace.BoundingBox is not the oval the server sent';
  }

  const frames = input.frames;
  const multi = frames.filter((f) => f.faces.length > 1).length;
  const single = frames.filter((f) => f.faces.length === 1);
  if (multi > 0.1 * frames.length) return `more than one face in ${multi} of ${frames.length} frames`;
  if (single.length < 0.75 * frames.length) return `exactly one face in only ${single.length} of ${frames.length} frames`;

  const initialAt = start.InitialFace!.InitialFaceDetectedTimestamp;
  const inOvalFrom = target.FaceDetectedInTargetPositionStartTimestamp;
  const startFrames = single.filter((f) => at(f) <= Math.max(initialAt, videoStart) + 500);
  const initialFrames = startFrames.length > 0 ? startFrames : single.slice(0, 2);
  const endFrames = single.filter((f) => at(f) >= inOvalFrom - FIT_SLACK_MS);
  if (endFrames.length === 0) return 'no frame shows the face after the reported in-oval time';

  const initial = medianBox(initialFrames.map((f) => face(f).box));
  const reported = toBox(start.InitialFace!.BoundingBox);
  if (distance(centre(initial), centre(reported)) > 0.2 || ratio(initial.width, reported.width) > 2) {
    return 'the face at the start is not where the client reported it';
  }
  const inOval = endFrames.filter((f) => isInOval(face(f).box, oval));
  if (inOval.length < 0.7 * endFrames.length) {
    return `the face is inside the oval in only ${inOval.length} of ${endFrames.length} frames after the reported fit`;
  }
  const growth = medianBox(inOval.map((f) => face(f).box)).width / initial.width;
  if (growth < MIN_GROWTH) return `the face did not move closer (width x${growth.toFixed(2)})`;
  reasons.push(`face grew x${growth.toFixed(2)} into the oval; in the oval in ${inOval.length}/${endFrames.length} frames`);

  if (input.challengeType === 'FaceMovementAndLightChallenge') {
    const colourProblem = checkColours(input.serverChallenge, colours);
    if (colourProblem) return colourProblem;
    reasons.push('colour sequence matched');
  }

  return { single, inOval };
}

function readEvents(input: ScoringInput): { start: ClientChallenge; end: ClientChallenge; colours: ColorDisplayed[] } | string {
  const challenges = input.clientChallenges;
  if (challenges.length === 0) return 'the client sent no ClientSessionInformationEvent';
  const ids = new Set(challenges.map((c) => c.ChallengeId));
  if (ids.size !== 1) return 'the client used more than one ChallengeId';
  const start = challenges.find((c) => c.VideoStartTimestamp !== undefined);
  const end = challenges.find((c) => c.VideoEndTimestamp !== undefined);
  if (!start?.InitialFace) return 'no start event with VideoStartTimestamp and InitialFace';
  if (!end?.TargetFace) return 'no end event with VideoEndTimestamp and TargetFace';
  const t = end.TargetFace;
  const ordered = [
    start.InitialFace.InitialFaceDetectedTimestamp,
    t.FaceDetectedInTargetPositionStartTimestamp,
    t.FaceDetectedInTargetPositionEndTimestamp,
    end.VideoEndTimestamp!,
  ];
  if (ordered.some((v) => typeof v !== 'number' || !Number.isFinite(v))) return 'a reported timestamp is not a number';
  if (ordered.some((v, i) => i > 0 && v < ordered[i - 1]!) || start.VideoStartTimestamp! >= end.VideoEndTimestamp!) {
    return 'the reported timestamps are out of order';
  }
  const colours = challenges.flatMap((c) => (c.ColorDisplayed ? [c.ColorDisplayed] : []));
  return { start, end, colours };
}

/**
 * The component reports one ColorDisplayed when a colour starts scrolling down and another when it then stays flat;
 * the first report of colour i must follow the first report of colour i-1 by i-1's display time. Colour 0 is the
 * exception: the component moves on from it at its first tick (its stage timer starts at 0), so colour 1 may be
 * reported at the same moment, with colour 0 showing under colour 1 as it scrolls down.
 */
function checkColours(server: ServerChallenge, reported: ColorDisplayed[]): string | undefined {
  const sequence = server.ColorSequences ?? [];
  const firstReport = new Map<number, ColorDisplayed>();
  for (const colour of reported) {
    const expected = sequence[colour.SequenceNumber];
    if (!expected) return `colour SequenceNumber ${colour.SequenceNumber} was never sent`;
    if (!sameRgb(colour.CurrentColor.RGB, expected.FreshnessColor.RGB)) return `colour ${colour.SequenceNumber} is not the colour sent`;
    if (!firstReport.has(colour.SequenceNumber)) firstReport.set(colour.SequenceNumber, colour);
  }
  if (firstReport.size !== sequence.length) return `the client showed ${firstReport.size} of ${sequence.length} colours`;
  for (let i = 1; i < sequence.length; i += 1) {
    const previous = firstReport.get(i - 1)!;
    const current = firstReport.get(i)!;
    const shownMs = current.CurrentColorStartTimestamp - previous.CurrentColorStartTimestamp;
    const sent = sequence[i - 1]!;
    const expectedMs = (i - 1 === 0 ? 0 : sent.DownscrollDuration) + sent.FlatDisplayDuration;
    const shortestMs = i - 1 === 0 ? 0 : 0.8 * expectedMs - 30;
    if (shownMs < shortestMs || shownMs > expectedMs + 1000) {
      return `colour ${i - 1} was shown for ${shownMs} ms, not about ${expectedMs} ms`;
    }
  }
  return undefined;
}

const sameRgb = (a: number[], b: number[]) => a.length === 3 && a.every((v, i) => v === b[i]);

const face = (frame: AnalysedFrame): LocatedFace => frame.faces[0]!;
const described = (frame: AnalysedFrame): DetectedFace => frame.described!.face;

function frontalSharpness(detected: DetectedFace): number {
  return detected.quality.sharpness - Math.abs(detected.pose.yaw) - Math.abs(detected.pose.pitch);
}

/**
 * The InitialFace the component reports is in the video's own coordinates, as the frames: it detects on the mirrored
 * view and flips the box's left back.
 */
function toBox(box: BoundingBox): NormalisedBox {
  return { left: box.Left, top: box.Top, width: box.Width, height: box.Height };
}

/** The oval the server sent, as a box in ratios of the frame (as the client reports it in TargetFace). */
export function ovalBox(challenge: ServerChallenge, videoWidth: number, videoHeight: number): BoundingBox {
  const oval = challenge.OvalParameters;
  return {
    Width: oval.Width / videoWidth,
    Height: oval.Height / videoHeight,
    Left: (oval.CenterX - oval.Width / 2) / videoWidth,
    Top: (oval.CenterY - oval.Height / 2) / videoHeight,
  };
}

/** Whether a located face fits the oval: centre within half its radii, width 0.5-1.3 of its width. */
export function isInOval(box: NormalisedBox, oval: BoundingBox): boolean {
  const [cx, cy] = centre(box);
  const ox = oval.Left + oval.Width / 2;
  const oy = oval.Top + oval.Height / 2;
  const normalised = ((cx - ox) / (oval.Width / 2)) ** 2 + ((cy - oy) / (oval.Height / 2)) ** 2;
  const widthRatio = box.width / oval.Width;
  return normalised <= 0.25 && widthRatio >= 0.5 && widthRatio <= 1.3;
}

const centre = (box: NormalisedBox): [number, number] => [box.left + box.width / 2, box.top + box.height / 2];
const distance = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const ratio = (a: number, b: number) => Math.max(a, b) / Math.max(1e-6, Math.min(a, b));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianBox(boxes: NormalisedBox[]): NormalisedBox {
  return {
    left: median(boxes.map((b) => b.left)),
    top: median(boxes.map((b) => b.top)),
    width: median(boxes.map((b) => b.width)),
    height: median(boxes.map((b) => b.height)),
  };
}

function spread<T>(items: T[], count: number): T[] {
  if (count <= 0 || items.length === 0) return [];
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / count)]!);
}

const toRatios = (box: NormalisedBox): BoundingBox => ({ Width: box.width, Height: box.height, Left: box.left, Top: box.top });

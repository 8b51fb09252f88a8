/**
 * The challenge a session's stream is given: which challenge (from the session's preferences and the versions the
 * client supports), the oval in video pixels, the thresholds the FaceLivenessDetector reads from ChallengeConfig,
 * and, for FaceMovementAndLightChallenge, the colour sequence the screen flashes.
 */
import { randomInt } from 'node:crypto';
import type { ChallengeConfig, ChallengeType, ColorSequence, OvalParameters, ServerChallenge } from './event-stream';

/** The challenge versions this server runs (the ones @aws-amplify/ui-react-liveness 3.x asks for). */
export const SERVER_CHALLENGE_VERSIONS: Record<ChallengeType, string> = {
  FaceMovementAndLightChallenge: '2.0.0',
  FaceMovementChallenge: '1.0.0',
};

export interface ChallengePreference {
  Type: ChallengeType;
  Versions?: { Minimum?: string; Maximum?: string };
}

/** Rekognition's default when CreateFaceLivenessSession names no preference. */
export const DEFAULT_CHALLENGE_PREFERENCES: ChallengePreference[] = [{ Type: 'FaceMovementAndLightChallenge' }];

/**
 * The values Rekognition sends (as recorded in @aws-amplify/ui-react-liveness's test fixtures). The component treats
 * a zero as missing in every field it reads; FaceDistanceThresholdMax it does not read, and Rekognition sends 0.
 */
export const CHALLENGE_CONFIG: ChallengeConfig = {
  BlazeFaceDetectionThreshold: 0.75,
  FaceDistanceThresholdMin: 0.4,
  FaceDistanceThreshold: 0.4,
  FaceDistanceThresholdMax: 0,
  OvalIouThreshold: 0.7,
  OvalHeightWidthRatio: 1.618,
  OvalIouWidthThreshold: 0.25,
  OvalIouHeightThreshold: 0.25,
  FaceIouWidthThreshold: 0.15,
  FaceIouHeightThreshold: 0.15,
  OvalFitTimeout: 7000,
};

/** The colours the screen flashes; consecutive colours always differ so each change lights the face differently. */
const FRESHNESS_PALETTE: number[][] = [
  [255, 255, 255],
  [0, 0, 0],
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [0, 255, 255],
  [255, 0, 255],
];
const COLOR_COUNT = 8;
const DOWNSCROLL_MS = 300;
const FLAT_MS = 100;

const parseVersion = (version: string): number[] | undefined =>
  /^\d+\.\d+\.\d+$/.test(version) ? version.split('.').map(Number) : undefined;

const compareVersions = (a: number[], b: number[]): number => {
  for (let i = 0; i < 3; i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
};

export const isVersion = (value: unknown): value is string => typeof value === 'string' && parseVersion(value) !== undefined;

/**
 * The first preferred challenge that this server runs at a version inside the preference's range and that the
 * client listed in its `challenge-versions` (`Type_x.y.z,...`); undefined when there is none.
 */
export function selectChallenge(
  preferences: ChallengePreference[],
  clientVersions: string,
): { type: ChallengeType; version: string } | undefined {
  const offered = new Set(clientVersions.split(','));
  for (const preference of preferences) {
    const version = SERVER_CHALLENGE_VERSIONS[preference.Type];
    const ours = parseVersion(version) ?? [];
    const { Minimum, Maximum } = preference.Versions ?? {};
    if (Minimum && compareVersions(ours, parseVersion(Minimum) ?? []) < 0) continue;
    if (Maximum && compareVersions(ours, parseVersion(Maximum) ?? []) > 0) continue;
    if (offered.has(`${preference.Type}_${version}`)) return { type: preference.Type, version };
  }
  return undefined;
}

/**
 * Where the server puts each session's oval: `random` as Rekognition does (the default), or `centred`, the middle of
 * the random range (centred, middle width) for a scripted camera such as a browser test's fake camera file, which
 * cannot look at the screen to follow a random oval.
 */
export type OvalPlacement = 'random' | 'centred';

/**
 * An oval in video pixels, placed and sized as the component's own static oval (centre within 7/16..9/16): each
 * draw in 0..1 picks the width, the centre's x and its y within their ranges.
 */
function ovalFromDraws(videoWidth: number, videoHeight: number, draws: { width: number; x: number; y: number }): OvalParameters {
  const scaled = (value: number, min: number, max: number) => value * (max - min) + min;
  const baseWidth = videoWidth >= videoHeight ? (3 / 4) * videoHeight : videoWidth;
  const width = Math.floor(scaled(draws.width, 0.75, 1) * 0.8 * baseWidth);
  const height = Math.floor(Math.min(CHALLENGE_CONFIG.OvalHeightWidthRatio * width, videoHeight * 0.95));
  const centerX = Math.floor(scaled(draws.x, (7 * videoWidth) / 16, (9 * videoWidth) / 16));
  const minCenterY = Math.max((7 * videoHeight) / 16, height / 2);
  const maxCenterY = Math.min((9 * videoHeight) / 16, videoHeight - height / 2);
  const centerY = Math.floor(scaled(draws.y, minCenterY, Math.max(minCenterY, maxCenterY)));
  return { Width: width, Height: height, CenterX: centerX, CenterY: centerY };
}

/** A random oval, in video pixels, as Rekognition sends a fresh one per session. */
export function randomOval(videoWidth: number, videoHeight: number): OvalParameters {
  const seed = () => randomInt(0, 1_000_001) / 1_000_000;
  return ovalFromDraws(videoWidth, videoHeight, { width: seed(), x: seed(), y: seed() });
}

/** The oval in the middle of randomOval's range: centred, of middle width. */
export function centredOval(videoWidth: number, videoHeight: number): OvalParameters {
  return ovalFromDraws(videoWidth, videoHeight, { width: 0.5, x: 0.5, y: 0.5 });
}

/** A fresh random colour sequence: the first colour is shown flat, then each scrolls down and may stay flat. */
export function randomColorSequences(): ColorSequence[] {
  const sequences: ColorSequence[] = [];
  let previous = -1;
  for (let i = 0; i < COLOR_COUNT; i += 1) {
    let pick = randomInt(0, FRESHNESS_PALETTE.length);
    while (pick === previous) pick = randomInt(0, FRESHNESS_PALETTE.length);
    previous = pick;
    sequences.push({
      FreshnessColor: { RGB: [...(FRESHNESS_PALETTE[pick] ?? [])] },
      // The first colour's downscroll is never shown (the display starts flat), but Rekognition sends it too.
      DownscrollDuration: DOWNSCROLL_MS,
      FlatDisplayDuration: i === 0 || randomInt(0, 2) === 1 ? FLAT_MS : 0,
    });
  }
  return sequences;
}

export function buildServerChallenge(
  type: ChallengeType,
  videoWidth: number,
  videoHeight: number,
  ovalPlacement: OvalPlacement = 'random',
): ServerChallenge {
  const oval = ovalPlacement === 'centred' ? centredOval(videoWidth, videoHeight) : randomOval(videoWidth, videoHeight);
  const base = { OvalParameters: oval, ChallengeConfig: { ...CHALLENGE_CONFIG } };
  if (type === 'FaceMovementChallenge') return base;
  return { ...base, LightChallengeType: 'SEQUENTIAL', ColorSequences: randomColorSequences() };
}

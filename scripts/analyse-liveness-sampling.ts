/**
 * npm run analyse:liveness-sampling [-- --draws 100000] [--record [--sessions 5]]
 *
 * How often a genuine test video would score a Confidence under 90 because of which frames the stream server
 * describes. `--record` (heavy: run it under flock) streams the moving-closer clips that the liveness and flow suites
 * and bench:stack make (the Node liveness client's, from every selfie they use), `--sessions` times each (a new random
 * oval and colour sequence each time), with every frame described, and writes each frame's face count, whether it
 * counts as in the oval for the scorer, and its anti-spoof probability to tests/fixtures/liveness/anti-spoof-frames.json.
 *
 * The analysis reads that file. Describing every frame, a session's Confidence is the median over all its in-oval
 * frames, so it fails or not. For a uniform choice of M of those frames it counts exactly, over every choice, how many
 * medians fall under 0.90. For the stream server's policy (./close-looks.ts and the top-up of scoring.ts) it replays
 * the session's frames through the real sampler `--draws` times with a seeded generator, and counts the same; it
 * also counts the frames described, and those described after the video's end (the top-up).
 */
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startFaceEnginePool } from '../local/rekognition/engine-pool/index';
import type { FaceEngine, ScannedFrame } from '../local/rekognition/engine/types';
import { startLivenessService } from '../local/rekognition/liveness';
import { movingCloserFitMs, runLivenessSession } from '../local/rekognition/liveness-client/client';
import { CloseLookSampler, drawAtRandom, type CloseLookPolicy, type FramePlace } from '../local/rekognition/liveness/close-looks';
import { FIT_SLACK_MS, isInOval, ovalBox } from '../local/rekognition/liveness/scoring';
import { DEFAULT_STREAM_LIMITS } from '../local/rekognition/liveness/stream-server';

const RECORDING = new URL(process.env.RECORDING ?? '../tests/fixtures/liveness/anti-spoof-frames.json', import.meta.url);
/** The selfies the suites stream as moving-closer clips: fixtures, then samples/. */
const SELFIES = [
  'tests/fixtures/faces/liveness-selfie-angelina_jolie-img6.jpg',
  'tests/fixtures/faces/app-selfie-angelina_jolie-img7.jpg',
  'tests/fixtures/faces/app-selfie-jennifer_aniston-img3.jpg',
  'tests/fixtures/faces/server-scarlett-johansson.jpg',
  ...['angelina_jolie', 'elon_musk', 'george_clooney', 'jennifer_aniston', 'katy_perry', 'leonardo_dicaprio', 'mark_zuckerberg'].map(
    (person) => `samples/${person}/selfie.jpg`,
  ),
  'samples/scarlett_johansson/selfie.jpg',
];
/** The client's default approach for the light challenge, set here so the reported fit time is known. */
const APPROACH_MS = 1500;
const SAMPLE_FPS = DEFAULT_STREAM_LIMITS.sampleFps;

/** One sampled frame of a recorded session. */
interface RecordedFrame {
  faces: number;
  /** The single face is inside the oval the server sent. */
  inOval: boolean;
  /** Also after the reported fit: the scorer counts the frame in the oval (its Confidence median's candidates). */
  counted: boolean;
  /** Anti-spoof probability of the single face. */
  live?: number;
}

interface RecordedSession {
  selfie: string;
  status: string;
  confidence?: number;
  frames: RecordedFrame[];
}

const { values } = parseArgs({
  options: {
    record: { type: 'boolean', default: false },
    sessions: { type: 'string', default: '5' },
    draws: { type: 'string', default: '100000' },
  },
});

async function record(sessionsPerSelfie: number): Promise<RecordedSession[]> {
  const region = 'us-east-1';
  const root = new URL('..', import.meta.url);
  const pool = await startFaceEnginePool();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'liveness-sampling-'));
  const recorded: RecordedSession[] = [];
  const fitMs = movingCloserFitMs(APPROACH_MS);
  try {
    for (const selfie of SELFIES) {
      const photo = await readFile(new URL(selfie, root));
      const face = (await pool.interactive.analyse(photo)).faces[0]?.box;
      if (!face) throw new Error(`no face in ${selfie}`);
      for (let run = 0; run < sessionsPerSelfie; run += 1) {
        // Sessions one at a time, so the frames scanned are this session's, in order.
        const scans: ScannedFrame[] = [];
        const engine: FaceEngine = {
          ...pool.liveness,
          scanFrame: async (image, options) => {
            const scanned = await pool.liveness.scanFrame(image, options);
            scans.push(scanned);
            return scanned;
          },
        };
        const service = await startLivenessService({
          engine,
          limits: { closeLooks: { inOvalRun: 1, elsewhereRun: 1 } },
          s3: { endpoint: 'http://127.0.0.1:9', region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
          dataDir: path.join(dataDir, String(recorded.length)),
          port: 0,
          region,
          // Its own table reports the results; a refusal or an error is worth seeing.
          log: (entry) => entry.event === 'liveness-result' || console.error(`[liveness] ${JSON.stringify(entry)}`),
        });
        try {
          const { SessionId } = (await service.operations.CreateFaceLivenessSession!({})) as { SessionId: string };
          const outcome = await runLivenessSession({
            endpoint: service.streamingEndpoint,
            ca: await readFile(service.certificatePath, 'utf8'),
            region,
            sessionId: SessionId,
            source: { kind: 'moving-closer', photo, face, approachMs: APPROACH_MS },
          });
          const result = (await service.operations.GetFaceLivenessSessionResults!({ SessionId })) as {
            Status: string;
            Confidence?: number;
          };
          const oval = ovalBox(outcome.serverChallenge!, 640, 480);
          recorded.push({
            selfie,
            status: result.Status,
            ...(result.Confidence !== undefined ? { confidence: result.Confidence } : {}),
            frames: scans.map((scan, index) => {
              const inOval = scan.faces.length === 1 && isInOval(scan.faces[0]!.box, oval);
              return {
                faces: scan.faces.length,
                inOval,
                counted: inOval && (index * 1000) / SAMPLE_FPS >= fitMs - FIT_SLACK_MS,
                ...(scan.described ? { live: Math.round(scan.described.live * 1e6) / 1e6 } : {}),
              };
            }),
          });
          console.log(`${selfie} #${run + 1}: ${result.Status} ${result.Confidence ?? ''} (${scans.length} frames)`);
        } finally {
          await service.close();
        }
      }
    }
  } finally {
    await pool.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return recorded;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Shares of outcomes under the threshold (Confidence 90) and under 0.95 (how close sampling brings a session to it). */
interface Shares {
  under90: number;
  under95: number;
}

/** The shares of the `size`-element subsets of `values` whose median is under 0.90 and 0.95, counted over all of them. */
function exactSubsetShares(values: number[], size: number): Shares {
  if (values.length <= size) return { under90: median(values) < 0.9 ? 1 : 0, under95: median(values) < 0.95 ? 1 : 0 };
  const shares = { under90: 0, under95: 0 };
  let total = 0;
  const chosen: number[] = [];
  const visit = (from: number) => {
    if (chosen.length === size) {
      const value = median(chosen);
      total += 1;
      if (value < 0.9) shares.under90 += 1;
      if (value < 0.95) shares.under95 += 1;
      return;
    }
    for (let i = from; i <= values.length - (size - chosen.length); i += 1) {
      chosen.push(values[i]!);
      visit(i + 1);
      chosen.pop();
    }
  };
  visit(0);
  return { under90: shares.under90 / total, under95: shares.under95 / total };
}

/** mulberry32: a fast seeded generator, so that the replay is repeatable (the server draws with crypto.randomInt). */
function seededIndex(seed: number): (max: number) => number {
  let state = seed >>> 0;
  return (max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

interface Replay extends Shares {
  /** Frames described per session, and of them after the video's end. */
  described: number;
  afterEnd: number;
  /** Sessions with a sampled in-oval frame low enough to have every in-oval frame described. */
  confirmed: number;
}

/** The policy's settings: the sampler's runs, the top-up's minimum, and the score under which all are described. */
interface Policy extends CloseLookPolicy {
  minimum: number;
  describeAllBelow: number;
}

/** The stream server's choice replayed over a recorded session: how often the median is low, and what it costs. */
function replayPolicy(session: RecordedSession, policy: Policy, draws: number, seed: number): Replay {
  const pick = seededIndex(seed);
  const replay = { under90: 0, under95: 0, described: 0, afterEnd: 0, confirmed: 0 };
  const counted = session.frames.flatMap((frame, index) => (frame.counted ? [index] : []));
  for (let draw = 0; draw < draws; draw += 1) {
    const sampler = new CloseLookSampler(policy, pick);
    let place: FramePlace = 'elsewhere';
    const chosen = session.frames.map((frame) => {
      const wanted = sampler.wants(place) && frame.faces === 1;
      if (wanted) sampler.described();
      place = frame.inOval ? 'in-oval' : 'elsewhere';
      return wanted;
    });
    const topUp = drawAtRandom(
      counted.filter((index) => !chosen[index]),
      policy.minimum - counted.filter((index) => chosen[index]).length,
      pick,
    );
    for (const index of topUp) chosen[index] = true;
    const sampled = () => counted.filter((index) => chosen[index]).map((index) => session.frames[index]!.live!);
    const confirm = sampled().some((live) => live < policy.describeAllBelow) ? counted.filter((index) => !chosen[index]) : [];
    for (const index of confirm) chosen[index] = true;
    replay.described += chosen.filter(Boolean).length;
    replay.afterEnd += topUp.length + confirm.length;
    if (confirm.length > 0) replay.confirmed += 1;
    const value = median(sampled());
    if (value < 0.9) replay.under90 += 1;
    if (value < 0.95) replay.under95 += 1;
  }
  return {
    under90: replay.under90 / draws,
    under95: replay.under95 / draws,
    described: replay.described / draws,
    afterEnd: replay.afterEnd / draws,
    confirmed: replay.confirmed / draws,
  };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const percent = (value: number) => `${(value * 100).toFixed(3)}%`;
const countedLive = (session: RecordedSession) => session.frames.flatMap((frame) => (frame.counted ? [frame.live!] : []));
const everyFrame = (session: RecordedSession): Shares => {
  const value = median(countedLive(session));
  return { under90: value < 0.9 ? 1 : 0, under95: value < 0.95 ? 1 : 0 };
};
const shares = (rows: Shares[]) =>
  `${percent(mean(rows.map((r) => r.under90)))} / ${percent(mean(rows.map((r) => r.under95)))} ` +
  `(worst ${percent(Math.max(...rows.map((r) => r.under90)))} / ${percent(Math.max(...rows.map((r) => r.under95)))})`;

function analyse(sessions: RecordedSession[], draws: number): void {
  // A session whose every-frame median is already under 0.90 fails however it is sampled: it is reported apart.
  const passing = sessions.filter((session) => session.status === 'SUCCEEDED' && everyFrame(session).under90 === 0);
  const failing = sessions.filter((session) => !passing.includes(session));
  const counts = passing.map((session) => countedLive(session).length);
  const medians = passing.map((session) => median(countedLive(session)));
  console.log(
    `${sessions.length} recorded sessions. ${passing.length} score 0.90 or more describing every frame: ${Math.min(...counts)}-` +
      `${Math.max(...counts)} in-oval frames, medians ${Math.min(...medians).toFixed(3)}-${Math.max(...medians).toFixed(3)}. ` +
      `${failing.length} score under 0.90 (${[...new Set(failing.map((s) => s.selfie))].join(', ')}).`,
  );
  const { closeLooks, minDescribedInOval, describeAllInOvalBelow } = DEFAULT_STREAM_LIMITS;
  const policy: Policy = { ...closeLooks, minimum: minDescribedInOval, describeAllBelow: describeAllInOvalBelow };
  const sampledOnly: Policy = { ...policy, describeAllBelow: 0 };
  const replays = new Map(passing.map((session, index) => [session, replayPolicy(session, policy, draws, index + 1)] as const));
  const samples = new Map(passing.map((session, index) => [session, replayPolicy(session, sampledOnly, draws, index + 1)] as const));
  console.log(
    `\nMedian under 0.90 / under 0.95: mean over the selfie's sessions (worst session). Default policy: in-oval run ` +
      `${policy.inOvalRun}, elsewhere run ${policy.elsewhereRun}, at least ${policy.minimum} in the oval, all of them when ` +
      `one scores under ${policy.describeAllBelow}; ${draws} draws a session.`,
  );
  console.log(
    '| selfie | sessions | every frame | any 6 in-oval frames (exact) | the policy without describing all | the default policy ' +
      '| described (after the end) | all described |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const row = (name: string, own: RecordedSession[]) => {
    const replayed = own.map((session) => replays.get(session)!);
    console.log(
      `| ${name} | ${own.length} | ${shares(own.map(everyFrame))} | ${shares(own.map((s) => exactSubsetShares(countedLive(s), 6)))} ` +
        `| ${shares(own.map((session) => samples.get(session)!))} | ${shares(replayed)} ` +
        `| ${mean(replayed.map((r) => r.described)).toFixed(1)} (${mean(replayed.map((r) => r.afterEnd)).toFixed(2)}) ` +
        `| ${percent(mean(replayed.map((r) => r.confirmed)))} |`,
    );
  };
  for (const selfie of new Set(passing.map((session) => session.selfie))) {
    row(
      selfie,
      passing.filter((session) => session.selfie === selfie),
    );
  }
  row('all', passing);

  const fewer = Math.ceil(draws / 10);
  console.log(`\nOther settings, over the same ${passing.length} sessions (${fewer} draws a session):`);
  console.log(
    '| in-oval run | elsewhere run | at least in the oval | all when one under | median under 0.90 / 0.95 (worst session) ' +
      '| described (after the end) | all described |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const [inOvalRun, elsewhereRun, minimum, describeAllBelow] of [
    [1, 1, 1, 0],
    [2, 2, 3, 0],
    [3, 3, 3, 0],
    [3, 3, 6, 0],
    [3, 3, 5, 0.9],
    [3, 3, 6, 0.85],
    [3, 3, 6, 0.9],
    [3, 3, 6, 0.95],
    [4, 4, 4, 0.9],
  ] as const) {
    const results = passing.map((session, index) =>
      replayPolicy(session, { inOvalRun, elsewhereRun, minimum, describeAllBelow }, fewer, 1000 + index),
    );
    console.log(
      `| ${inOvalRun} | ${elsewhereRun} | ${minimum} | ${describeAllBelow || '-'} | ${shares(results)} ` +
        `| ${mean(results.map((r) => r.described)).toFixed(1)} (${mean(results.map((r) => r.afterEnd)).toFixed(2)}) ` +
        `| ${percent(mean(results.map((r) => r.confirmed)))} |`,
    );
  }

  // The other way: how often a session that every frame scores under 0.90 would be lifted over it by the sampling.
  const lifted = failing.map((session, index) => 1 - replayPolicy(session, policy, draws, 5000 + index).under90);
  console.log(
    `\nSessions under 0.90 describing every frame, scored 0.90 or more by the default policy: ${percent(mean(lifted))} of draws ` +
      `(worst session ${percent(Math.max(...lifted))}).`,
  );
  // A video made to sit just under: `high` of its 16 in-oval frames score high, the rest low, so the whole stay's
  // median is low. The sample passes alone only if all 6 sampled frames are high (with a median rule, 4 of them would do).
  const choose = (n: number, k: number): number => (k < 0 || k > n ? 0 : k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k);
  for (const high of [8, 6, 4]) {
    const atLeast = (k: number) => [...Array(7 - k).keys()].reduce((sum, i) => sum + choose(high, k + i) * choose(16 - high, 6 - k - i), 0);
    console.log(
      `${high} of 16 in-oval frames high: passes on the sample alone in ${percent(atLeast(6) / choose(16, 6))} of draws ` +
        `(a sample median at or above the level would in ${percent(atLeast(4) / choose(16, 6))}).`,
    );
  }
}

if (values.record) {
  const sessions = await record(Number(values.sessions));
  await writeFile(
    RECORDING,
    `${JSON.stringify({ recordedOn: new Date().toISOString().slice(0, 10), approachMs: APPROACH_MS, sessions })}\n`,
  );
}
const { sessions } = JSON.parse(await readFile(RECORDING, 'utf8')) as { sessions: RecordedSession[] };
analyse(sessions, Number(values.draws));

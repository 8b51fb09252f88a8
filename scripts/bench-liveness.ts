/**
 * npm run bench:liveness [-- --runs 5] [--face-workers N] [--every-frame]
 * Times Face Liveness from the last video chunk the client sends to the final result (DisconnectionEvent received,
 * then GetFaceLivenessSessionResults answered), for 640x480 FaceMovementAndLightChallenge sessions of about 5 s
 * made by the Node client from one photo. The service runs in this process with the real face engine pool. Also
 * the CPU time per session: the face workers' threads (the face work), the whole process (workers, server and
 * client), and its child processes (ffmpeg encoding the client's video and decoding it for the server).
 * The stream server describes the frames its default policy draws (../local/rekognition/liveness/close-looks.ts);
 * `--every-frame` describes every one, as it did before that policy.
 */
import { readFileSync } from 'node:fs';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseFaceWorkers, startFaceEnginePool } from '../local/rekognition/engine-pool/index';
import { startLivenessService } from '../local/rekognition/liveness';
import { runLivenessSession } from '../local/rekognition/liveness-client/client';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'face-workers': { type: 'string' },
    'every-frame': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be an integer 1..50, got ${values.runs}`);
const everyFrame = values['every-frame'];
const workers = values['face-workers'] === undefined ? undefined : parseFaceWorkers(values['face-workers']);

interface Cpu {
  faceWorkers: number;
  self: number;
  children: number;
}

/** CPU seconds of the face workers, of this process (all its threads) and of its waited-for children (Linux /proc). */
function cpuSeconds(): Cpu {
  const { user, system } = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // cutime and cstime, fields 16 and 17 of stat, in clock ticks of 1/100 s.
  return {
    faceWorkers: pool.cpuSeconds() ?? Number.NaN,
    self: (user + system) / 1e6,
    children: (Number(fields[13]) + Number(fields[14])) / 100,
  };
}

const REGION = 'us-east-1';
const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-liveness-'));
const pool = await startFaceEnginePool({ workers });
const service = await startLivenessService({
  engine: pool.liveness,
  limits: everyFrame ? { closeLooks: { inOvalRun: 1, elsewhereRun: 1 } } : {},
  // Sessions here have no OutputConfig, so images stay local (answered as Bytes) and S3 is never called.
  s3: { endpoint: 'http://127.0.0.1:9', region: REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } },
  dataDir,
  port: 0,
  region: REGION,
  // Its own table reports the results; a refusal or an error is worth seeing.
  log: (entry) => entry.event === 'liveness-result' || console.error(`[liveness] ${JSON.stringify(entry)}`),
});
const photo = await readFile(new URL('../tests/fixtures/faces/liveness-selfie-angelina_jolie-img6.jpg', import.meta.url));
const detected = await pool.interactive.analyse(photo);
const face = detected.faces[0]?.box;
if (!face) throw new Error('no face in the benchmark photo');
const ca = await readFile(service.certificatePath, 'utf8');

interface Row {
  run: number;
  videoMs: number;
  toDisconnectMs: number;
  toResultMs: number;
  status: string;
  confidence: string;
  cpu: Cpu;
}
const rows: Row[] = [];
try {
  for (let run = 1; run <= runs; run += 1) {
    const { SessionId } = (await service.operations.CreateFaceLivenessSession!({})) as { SessionId: string };
    const startedAt = Date.now();
    const cpuBefore = cpuSeconds();
    const outcome = await runLivenessSession({
      endpoint: service.streamingEndpoint,
      ca,
      region: REGION,
      sessionId: SessionId,
      source: { kind: 'moving-closer', photo, face },
    });
    const result = (await service.operations.GetFaceLivenessSessionResults!({ SessionId })) as { Status: string; Confidence?: number };
    const answeredAt = Date.now();
    const cpuAfter = cpuSeconds();
    if (!outcome.disconnected || outcome.lastChunkSentAt === undefined || outcome.disconnectedAt === undefined) {
      throw new Error(`run ${run} did not complete: ${JSON.stringify(outcome.exceptions)}`);
    }
    rows.push({
      run,
      videoMs: outcome.lastChunkSentAt - startedAt,
      toDisconnectMs: outcome.disconnectedAt - outcome.lastChunkSentAt,
      toResultMs: answeredAt - outcome.lastChunkSentAt,
      status: result.Status,
      confidence: result.Confidence?.toFixed(1) ?? '-',
      cpu: {
        faceWorkers: cpuAfter.faceWorkers - cpuBefore.faceWorkers,
        self: cpuAfter.self - cpuBefore.self,
        children: cpuAfter.children - cpuBefore.children,
      },
    });
  }
} finally {
  await service.close();
  await pool.close();
  await rm(dataDir, { recursive: true, force: true });
}

const medianOf = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const median = (values: number[]) => Math.round(medianOf(values));
const seconds = (value: number) => value.toFixed(2);
console.log(
  `Face Liveness, 640x480 FaceMovementAndLightChallenge, about 5 s of video per session; ${pool.workers} face workers, ` +
    (everyFrame ? 'every frame described' : 'the default frames described'),
);
console.log(
  '| run | connect to last chunk (ms) | last chunk to DisconnectionEvent (ms) | last chunk to results (ms) | status | confidence ' +
    '| CPU s: face workers / process / ffmpeg |',
);
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(
    `| ${row.run} | ${row.videoMs} | ${row.toDisconnectMs} | ${row.toResultMs} | ${row.status} | ${row.confidence} ` +
      `| ${seconds(row.cpu.faceWorkers)} / ${seconds(row.cpu.self)} / ${seconds(row.cpu.children)} |`,
  );
}
console.log(
  `| median | ${median(rows.map((r) => r.videoMs))} | ${median(rows.map((r) => r.toDisconnectMs))} | ` +
    `${median(rows.map((r) => r.toResultMs))} | | | ${seconds(medianOf(rows.map((r) => r.cpu.faceWorkers)))} / ` +
    `${seconds(medianOf(rows.map((r) => r.cpu.self)))} / ${seconds(medianOf(rows.map((r) => r.cpu.children)))} |`,
);

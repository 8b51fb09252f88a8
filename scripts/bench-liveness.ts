/**
 * npm run bench:liveness [-- --runs 5]
 * Times Face Liveness from the last video chunk the client sends to the final result (DisconnectionEvent received,
 * then GetFaceLivenessSessionResults answered), for 640x480 FaceMovementAndLightChallenge sessions of about 5 s
 * made by the Node client from one photo. The service runs in this process with the real face engine.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFaceEngine } from '../local/rekognition/engine';
import { startLivenessService } from '../local/rekognition/liveness';
import { runLivenessSession } from '../local/rekognition/liveness-client/client';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be an integer 1..50, got ${values.runs}`);

const REGION = 'us-east-1';
const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-liveness-'));
const engine = await createFaceEngine();
const service = await startLivenessService({
  engine,
  // Sessions here have no OutputConfig, so images stay local (answered as Bytes) and S3 is never called.
  s3: { endpoint: 'http://127.0.0.1:9', region: REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } },
  dataDir,
  port: 0,
  region: REGION,
});
const photo = await readFile(new URL('../tests/fixtures/faces/liveness-selfie-angelina_jolie-img6.jpg', import.meta.url));
const detected = await engine.analyse(photo);
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
}
const rows: Row[] = [];
try {
  for (let run = 1; run <= runs; run += 1) {
    const { SessionId } = (await service.operations.CreateFaceLivenessSession!({})) as { SessionId: string };
    const startedAt = Date.now();
    const outcome = await runLivenessSession({
      endpoint: service.streamingEndpoint,
      ca,
      region: REGION,
      sessionId: SessionId,
      source: { kind: 'moving-closer', photo, face },
    });
    const result = (await service.operations.GetFaceLivenessSessionResults!({ SessionId })) as { Status: string; Confidence?: number };
    const answeredAt = Date.now();
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
    });
  }
} finally {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
};
console.log('Face Liveness, 640x480 FaceMovementAndLightChallenge, about 5 s of video per session');
console.log(
  '| run | connect to last chunk (ms) | last chunk to DisconnectionEvent (ms) | last chunk to results (ms) | status | confidence |',
);
console.log('|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(`| ${row.run} | ${row.videoMs} | ${row.toDisconnectMs} | ${row.toResultMs} | ${row.status} | ${row.confidence} |`);
}
console.log(
  `| median | ${median(rows.map((r) => r.videoMs))} | ${median(rows.map((r) => r.toDisconnectMs))} | ` +
    `${median(rows.map((r) => r.toResultMs))} | | |`,
);

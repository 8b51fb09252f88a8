/**
 * npm run bench:document-check
 * The document check (the functions' checkDocument, policy REQUIRE) on the local Textract AnalyzeID, on three sets
 * of 1,100-px cards that must be accepted: photos of documents made by the ID-card generator
 * (local/rekognition/engine/evaluation/id-card.ts: tilt, shear, glare, guilloche, JPEG) from LFW View 1 devtest
 * portraits, the three layouts in turn; the generator's samples/<person>/id-card.jpg; and flat cards rendered by
 * tests/integration/textract/id-cards.ts. Plain face photos must be refused as NOT_A_DOCUMENT: the face fixtures,
 * the samples' ID photos and selfies, and LFW devtest photos that no card uses.
 * Prints acceptance and refusal rates and the time per check (median, p95) per set, and the targets: at
 * least 98% of generator cards accepted, 99% of plain photos refused, a median of at most 1.5 s per card; a missed
 * target exits 1.
 * Flags: --data DIR (the face data folder holding lfw-view1/; default ../shared/data/faces from the repository root),
 * --cards N (generator cards, default 150), --photos N (LFW photos, default 300).
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalyzeIDCommand, TextractClient } from '@aws-sdk/client-textract';
import { checkDocument, type DocumentCheck } from '../functions/lib/document-check';
import { logger } from '../functions/lib/logger';
import { DOCUMENT_LAYOUTS, makeIdCard } from '../local/rekognition/engine/evaluation/id-card';
import { dataDirFrom, imagesOf, lfwDirOf, readPairs } from '../local/rekognition/engine/evaluation/lfw';
import { startTextractServer } from '../local/textract/index';
import { renderCard, type CardHolder } from '../tests/integration/textract/id-cards';

logger.setLogLevel('SILENT');

const argv = process.argv.slice(2);
const numberFlag = (name: string, fallback: number): number => {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive integer, got ${argv[at + 1]}`);
  return value;
};
const cardCount = numberFlag('--cards', 150);
const photoCount = numberFlag('--photos', 300);
const lfwDir = lfwDirOf(dataDirFrom(argv));

const FACES = fileURLToPath(new URL('../tests/fixtures/faces/', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../samples/', import.meta.url));
const HOLDER: CardHolder = {
  surname: 'Lindqvist',
  givenNames: 'Sara',
  documentNumber: 'X4R8N2K71',
  country: 'SWE',
  birthDate: '1988-02-29',
  expiryDate: '2033-09-30',
  sex: 'F',
};

/** `count` items spread evenly over `items`, so that a subset still covers the alphabet of LFW's names. */
function spread<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

// Devtest images: every other one is a card's portrait, the rest are the plain photos (no person's card is its photo).
const devtest = imagesOf(readPairs(lfwDir, 'pairs_devtest.csv'));
const portraits = spread(
  devtest.filter((_, i) => i % 2 === 0),
  cardCount,
);
const lfwPhotos = spread(
  devtest.filter((_, i) => i % 2 === 1),
  photoCount,
);
const fixturePhotos = readdirSync(FACES)
  .filter((name) => name.endsWith('.jpg'))
  .sort();
const people = readdirSync(SAMPLES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

interface Case {
  name: string;
  bytes: () => Promise<Buffer>;
}

const sets: { title: string; kind: 'card' | 'photo'; cases: Case[] }[] = [
  ...DOCUMENT_LAYOUTS.map((layout, index) => ({
    title: `generator cards: ${layout}`,
    kind: 'card' as const,
    cases: portraits
      .filter((_, i) => i % DOCUMENT_LAYOUTS.length === index)
      .map((image) => ({
        name: image,
        bytes: async () => (await makeIdCard(readFileSync(path.join(lfwDir, image)), { seed: image, layout })).image,
      })),
  })),
  {
    title: 'samples/*/id-card.jpg',
    kind: 'card',
    cases: people.map((person) => ({ name: person, bytes: async () => readFileSync(path.join(SAMPLES, person, 'id-card.jpg')) })),
  },
  {
    title: 'flat cards (tests id-cards.ts, TD3 + TD1)',
    kind: 'card',
    cases: (['TD3', 'TD1'] as const).flatMap((layout) =>
      fixturePhotos.map((portrait) => ({ name: `${layout} ${portrait}`, bytes: () => renderCard({ layout, holder: HOLDER, portrait }) })),
    ),
  },
  {
    title: 'face fixtures and samples (ID photos, selfies)',
    kind: 'photo',
    cases: [
      ...fixturePhotos.map((photo) => ({ name: photo, bytes: async () => readFileSync(path.join(FACES, photo)) })),
      ...people.flatMap((person) =>
        ['id-photo.jpg', 'selfie.jpg'].map((file) => ({
          name: `${person}/${file}`,
          bytes: async () => readFileSync(path.join(SAMPLES, person, file)),
        })),
      ),
    ],
  },
  {
    title: 'LFW devtest photos',
    kind: 'photo',
    cases: lfwPhotos.map((image) => ({ name: image, bytes: async () => readFileSync(path.join(lfwDir, image)) })),
  },
];

const server = await startTextractServer({ port: 0 });
const client = new TextractClient({
  endpoint: server.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});
const now = new Date();
// One warm-up call: the first recognition initialises the OCR engine.
await client.send(new AnalyzeIDCommand({ DocumentPages: [{ Bytes: readFileSync(path.join(FACES, fixturePhotos[0]!)) }] }));

async function timedCheck(bytes: Uint8Array): Promise<{ check: DocumentCheck; ms: number }> {
  const started = performance.now();
  const check = await checkDocument({ bytes }, { client, policy: 'REQUIRE', now });
  return { check, ms: performance.now() - started };
}

interface Outcome {
  title: string;
  kind: 'card' | 'photo';
  total: number;
  /** Cards accepted, or photos refused as NOT_A_DOCUMENT. */
  passed: number;
  /** Cards whose expiry date was read. */
  withExpiry: number;
  times: number[];
}

const outcomes: Outcome[] = [];
for (const { title, kind, cases } of sets) {
  const outcome: Outcome = { title, kind, total: cases.length, passed: 0, withExpiry: 0, times: [] };
  for (const { name, bytes } of cases) {
    const { check, ms } = await timedCheck(await bytes());
    outcome.times.push(ms);
    if (check.document?.expiresOn) outcome.withExpiry += 1;
    const passed = kind === 'card' ? check.verdict === 'ACCEPT' : check.refusal === 'NOT_A_DOCUMENT';
    if (passed) outcome.passed += 1;
    else console.log(`  ${kind === 'card' ? 'card not accepted' : 'photo not refused'}: ${name} -> ${check.verdict}`);
  }
  outcomes.push(outcome);
}
client.destroy();
await server.close();

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const percent = (part: number, whole: number) => `${part}/${whole} (${((part / whole) * 100).toFixed(1)}%)`;
const sum = (items: Outcome[], key: 'total' | 'passed') => items.reduce((total, item) => total + item[key], 0);

const generator = outcomes.filter((outcome) => outcome.title.startsWith('generator'));
const photos = outcomes.filter((outcome) => outcome.kind === 'photo');
const generatorTimes = generator.flatMap((outcome) => outcome.times);
const acceptRate = sum(generator, 'passed') / sum(generator, 'total');
const refuseRate = sum(photos, 'passed') / sum(photos, 'total');
const medianCard = percentile(generatorTimes, 0.5);

console.log(
  `\nDocument check on the local Textract AnalyzeID (checkDocument, REQUIRE), Node ${process.version}, ` +
    `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs, ${new Date().toISOString()}\n`,
);
console.log('| set | accepted (cards) / refused as NOT_A_DOCUMENT (photos) | expiry read | time median / p95 |');
console.log('|---|---|---|---|');
for (const outcome of outcomes) {
  const expiry = outcome.kind === 'card' ? percent(outcome.withExpiry, outcome.total) : '';
  const time = `${seconds(percentile(outcome.times, 0.5))} / ${seconds(percentile(outcome.times, 0.95))}`;
  console.log(`| ${outcome.title} | ${percent(outcome.passed, outcome.total)} | ${expiry} | ${time} |`);
}
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
console.log('\n| target | value | |');
console.log('|---|---|---|');
console.log(`| >= 98% of generator cards accepted | ${(acceptRate * 100).toFixed(1)}% | ${verdict(acceptRate >= 0.98)} |`);
console.log(`| >= 99% of plain photos refused as NOT_A_DOCUMENT | ${(refuseRate * 100).toFixed(1)}% | ${verdict(refuseRate >= 0.99)} |`);
console.log(
  `| <= 1.5 s per generator card (median; p95 ${seconds(percentile(generatorTimes, 0.95))}) | ${seconds(medianCard)} | ` +
    `${verdict(medianCard <= 1500)} |`,
);
if (acceptRate < 0.98 || refuseRate < 0.99 || medianCard > 1500) process.exitCode = 1;

/**
 * npm run bench:document-check
 * The document check on the local Textract AnalyzeID: ID cards rendered by tests/integration/textract/id-cards.ts
 * (TD3 passports and TD1 identity cards, 1,100 px wide, with every face fixture as the portrait) must be accepted, and
 * the plain face photos of tests/fixtures/faces refused as NOT_A_DOCUMENT, by the functions' checkDocument. Prints
 * the rates and the time per card; misses a target (exit 1) below 98% of cards accepted, 99% of photos refused, or
 * above 1.5 s median per card.
 */
import { readdir, readFile } from 'node:fs/promises';
import { AnalyzeIDCommand, TextractClient } from '@aws-sdk/client-textract';
import { checkDocument } from '../functions/lib/document-check';
import { logger } from '../functions/lib/logger';
import { startTextractServer } from '../local/textract/index';
import { renderCard, type CardHolder } from '../tests/integration/textract/id-cards';

logger.setLogLevel('SILENT');

const FACES = new URL('../tests/fixtures/faces/', import.meta.url);
const HOLDER: CardHolder = {
  surname: 'Lindqvist',
  givenNames: 'Sara',
  documentNumber: 'X4R8N2K71',
  country: 'SWE',
  birthDate: '1988-02-29',
  expiryDate: '2033-09-30',
  sex: 'F',
};

const server = await startTextractServer({ port: 0 });
const client = new TextractClient({
  endpoint: server.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});
const photos = (await readdir(FACES)).filter((name) => name.endsWith('.jpg')).sort();
const now = new Date();
// One warm-up call: the first recognition initialises the OCR engine.
await client.send(new AnalyzeIDCommand({ DocumentPages: [{ Bytes: await readFile(new URL(photos[0]!, FACES)) }] }));

async function timedCheck(bytes: Uint8Array) {
  const started = performance.now();
  const check = await checkDocument({ bytes }, { client, policy: 'REQUIRE', now });
  return { check, ms: performance.now() - started };
}

const cardTimes: number[] = [];
let accepted = 0;
for (const layout of ['TD3', 'TD1'] as const) {
  for (const portrait of photos) {
    const { check, ms } = await timedCheck(await renderCard({ layout, holder: HOLDER, portrait }));
    cardTimes.push(ms);
    if (check.verdict === 'ACCEPT') accepted += 1;
    else console.log(`  card not accepted: ${layout} ${portrait} -> ${check.verdict}`);
  }
}
let refused = 0;
for (const photo of photos) {
  const { check } = await timedCheck(await readFile(new URL(photo, FACES)));
  if (check.refusal === 'NOT_A_DOCUMENT') refused += 1;
  else console.log(`  photo not refused: ${photo} -> ${check.verdict}`);
}
client.destroy();
await server.close();

const sorted = [...cardTimes].sort((a, b) => a - b);
const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const acceptRate = accepted / cardTimes.length;
const refuseRate = refused / photos.length;
console.log('\nDocument check on the local Textract AnalyzeID (1,100 px cards)\n');
console.log('| measure | value | target |');
console.log('|---|---|---|');
console.log(`| cards accepted | ${accepted}/${cardTimes.length} (${(acceptRate * 100).toFixed(1)}%) | >= 98% |`);
console.log(`| plain photos refused as NOT_A_DOCUMENT | ${refused}/${photos.length} (${(refuseRate * 100).toFixed(1)}%) | >= 99% |`);
console.log(
  `| time per card, median / p90 | ${(percentile(0.5) / 1000).toFixed(2)} s / ${(percentile(0.9) / 1000).toFixed(2)} s | median <= 1.5 s |`,
);
if (acceptRate < 0.98 || refuseRate < 0.99 || percentile(0.5) > 1500) process.exitCode = 1;

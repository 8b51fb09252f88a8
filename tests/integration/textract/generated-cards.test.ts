/**
 * The local Textract AnalyzeID on photos of documents made by the project's ID-card generator
 * (local/rekognition/engine/evaluation/id-card.ts: tilted, sheared, glared, guilloche, JPEG): the sample cards of
 * samples/ and cards made here from a face fixture, read through the functions' document check.
 */
import { readFile } from 'node:fs/promises';
import { AnalyzeIDCommand, TextractClient } from '@aws-sdk/client-textract';
import { checkDocument } from '../../../functions/lib/document-check';
import { logger } from '../../../functions/lib/logger';
import { makeIdCard } from '../../../local/rekognition/engine/evaluation/id-card';
import { startTextractServer, type TextractServer } from '../../../local/textract/index';
import { CREDENTIALS, fixture, REGION } from '../rekognition/harness';

const PORTRAIT = 'app-id-photo-angelina_jolie-img6.jpg';
const sample = (person: string, file = 'id-card.jpg') => readFile(new URL(`../../../samples/${person}/${file}`, import.meta.url));

let server: TextractServer;
let client: TextractClient;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  server = await startTextractServer({ port: 0 });
  client = new TextractClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

const check = (bytes: Uint8Array) => checkDocument({ bytes }, { client, policy: 'REQUIRE', now: new Date() });

async function fields(bytes: Uint8Array) {
  const output = await client.send(new AnalyzeIDCommand({ DocumentPages: [{ Bytes: bytes }] }));
  const list = output.IdentityDocuments?.[0]?.IdentityDocumentFields ?? [];
  return Object.fromEntries(list.map((field) => [field.Type?.Text, field.ValueDetection]));
}

describe('local Textract AnalyzeID on generated ID cards', () => {
  test('accepts a tilted identity card from the generator by its MRZ, keeping its issuing country and expiry', async () => {
    // samples/elon_musk/id-card.jpg: an identity card photographed about 4 degrees off level.
    await expect(check(await sample('elon_musk'))).resolves.toEqual({
      verdict: 'ACCEPT',
      policy: 'REQUIRE',
      document: { documentType: 'IDENTITY CARD', issuingCountry: 'UTO', expiresOn: '2036-09-14' },
    });
  });

  test('reads a generated passport: type PASSPORT, its MRZ, and the expiry date normalised', async () => {
    const card = await makeIdCard(await fixture(PORTRAIT), { seed: 'textract-passport', layout: 'passport' });
    const read = await fields(card.image);
    expect(read.ID_TYPE?.Text).toBe('PASSPORT');
    expect(read.MRZ_CODE?.Text).toBe(card.fields.mrz?.join('\n'));
    expect(read.EXPIRATION_DATE?.NormalizedValue).toEqual({ Value: `${card.fields.dateOfExpiry}T00:00:00`, ValueType: 'DATE' });
  });

  test("reads the driving licence's type without an MRZ", async () => {
    const card = await makeIdCard(await fixture(PORTRAIT), { seed: 'textract-licence', layout: 'driving-licence' });
    const read = await fields(card.image);
    expect(read.ID_TYPE?.Text).toBe('DRIVER LICENSE FRONT');
    expect(read.MRZ_CODE?.Text).toBe('');
  });

  test('refuses an identity card from the generator that expired as EXPIRED_DOCUMENT', async () => {
    const card = await makeIdCard(await fixture(PORTRAIT), {
      seed: 'textract-expired-card',
      layout: 'national-id',
      dateOfExpiry: '2021-05-31',
    });
    await expect(check(card.image)).resolves.toMatchObject({ refusal: 'EXPIRED_DOCUMENT', document: { expiresOn: '2021-05-31' } });
  });

  test('refuses a plain face photo as NOT_A_DOCUMENT', async () => {
    await expect(check(await sample('elon_musk', 'id-photo.jpg'))).resolves.toMatchObject({ refusal: 'NOT_A_DOCUMENT' });
  });
});

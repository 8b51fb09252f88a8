/**
 * The local Textract AnalyzeID (local/textract) through the AWS SDK, with cards made by ./id-cards.ts: what it reads
 * on an identity document and on a plain photo, its input limits and refusals, and the functions' document check
 * (functions/lib/document-check.ts) running unchanged against it.
 */
import {
  AnalyzeIDCommand,
  BadDocumentException,
  DocumentTooLargeException,
  InvalidParameterException,
  InvalidS3ObjectException,
  TextractClient,
  UnsupportedDocumentException,
  type AnalyzeIDCommandOutput,
  type Document,
} from '@aws-sdk/client-textract';
import { checkDocument } from '../../../functions/lib/document-check';
import { logger } from '../../../functions/lib/logger';
import { startTextractServer, type TextractServer } from '../../../local/textract/index';
import { CREDENTIALS, fixture, REGION, startS3, temporaryDirectory, type RunningS3 } from '../rekognition/harness';
import { renderCard, td1Lines, td3Lines, type CardHolder } from './id-cards';

const BUCKET = 'documents';
const HOLDER: CardHolder = {
  surname: 'Eriksson',
  givenNames: 'Anna Maria',
  documentNumber: 'L898902C3',
  country: 'NLD',
  birthDate: '1974-08-12',
  expiryDate: '2031-04-15',
  sex: 'F',
};
const SELFIE = 'app-selfie-angelina_jolie-img7.jpg';

let server: TextractServer;
let s3: RunningS3;
let client: TextractClient;
let cleanups: (() => Promise<void>)[] = [];
let passport: Buffer;
let identityCard: Buffer;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  const s3Dir = await temporaryDirectory('textract-s3-');
  s3 = await startS3(s3Dir.path, [BUCKET]);
  server = await startTextractServer({ port: 0, s3: { endpoint: s3.endpoint, region: REGION, credentials: CREDENTIALS } });
  client = new TextractClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  cleanups = [s3Dir.remove, s3.stop, server.close];
  passport = await renderCard({ layout: 'TD3', holder: HOLDER, portrait: 'app-id-photo-angelina_jolie-img6.jpg' });
  identityCard = await renderCard({ layout: 'TD1', holder: HOLDER, portrait: 'liveness-id-photo-angelina_jolie-img2.jpg' });
}, 120_000);

afterAll(async () => {
  client?.destroy();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function analyze(...pages: Document[]): Promise<AnalyzeIDCommandOutput> {
  return client.send(new AnalyzeIDCommand({ DocumentPages: pages }));
}

/** The first page's fields as type -> ValueDetection. */
function fields(output: AnalyzeIDCommandOutput) {
  const list = output.IdentityDocuments?.[0]?.IdentityDocumentFields ?? [];
  return Object.fromEntries(list.map((field) => [field.Type?.Text, field.ValueDetection]));
}

describe('local Textract AnalyzeID', () => {
  test('reads a passport data page: type PASSPORT, its MRZ, holder, number and dates normalised', async () => {
    const read = fields(await analyze({ Bytes: passport }));
    expect(read.ID_TYPE?.Text).toBe('PASSPORT');
    expect(read.MRZ_CODE?.Text).toBe(td3Lines(HOLDER).join('\n'));
    expect(read.EXPIRATION_DATE?.NormalizedValue).toEqual({ Value: '2031-04-15T00:00:00', ValueType: 'DATE' });
    expect(read.DATE_OF_BIRTH?.NormalizedValue).toEqual({ Value: '1974-08-12T00:00:00', ValueType: 'DATE' });
    expect([read.FIRST_NAME?.Text, read.MIDDLE_NAME?.Text, read.LAST_NAME?.Text, read.DOCUMENT_NUMBER?.Text]).toEqual([
      'ANNA',
      'MARIA',
      'ERIKSSON',
      'L898902C3',
    ]);
    expect(read.EXPIRATION_DATE?.Confidence).toBeGreaterThan(50);
  });

  test('reads an identity card by its three-line MRZ, with the expiry date normalised', async () => {
    const read = fields(await analyze({ Bytes: identityCard }));
    expect(read.MRZ_CODE?.Text).toBe(td1Lines(HOLDER).join('\n'));
    expect(read.EXPIRATION_DATE?.NormalizedValue).toEqual({ Value: '2031-04-15T00:00:00', ValueType: 'DATE' });
  });

  test('finds no document type and no MRZ on a plain face photo, and still lists every field, empty', async () => {
    const output = await analyze({ Bytes: await fixture(SELFIE) });
    const read = fields(output);
    expect(read.ID_TYPE).toEqual({ Text: '', Confidence: 0 });
    expect(read.MRZ_CODE).toEqual({ Text: '', Confidence: 0 });
    expect(Object.keys(read)).toEqual(
      expect.arrayContaining(['FIRST_NAME', 'LAST_NAME', 'DOCUMENT_NUMBER', 'EXPIRATION_DATE', 'DATE_OF_BIRTH', 'ID_TYPE', 'MRZ_CODE']),
    );
  });

  test('reads the document from S3 when given an S3Object', async () => {
    await s3.put(BUCKET, 'enrollment/sub/passport.jpg', passport);
    const read = fields(await analyze({ S3Object: { Bucket: BUCKET, Name: 'enrollment/sub/passport.jpg' } }));
    expect(read.ID_TYPE?.Text).toBe('PASSPORT');
  });

  test('answers one identity document per page, numbered, and the page count', async () => {
    const selfie = await fixture(SELFIE);
    const output = await analyze({ Bytes: selfie }, { Bytes: selfie });
    expect(output.DocumentMetadata).toEqual({ Pages: 2 });
    expect(output.IdentityDocuments?.map((document) => document.DocumentIndex)).toEqual([1, 2]);
  });

  test('refuses what is not an image as UnsupportedDocumentException', async () => {
    await expect(analyze({ Bytes: Buffer.from('%PDF-1.7 not an identity document') })).rejects.toBeInstanceOf(UnsupportedDocumentException);
  });

  test('refuses a JPEG that does not decode as BadDocumentException', async () => {
    await expect(analyze({ Bytes: Buffer.concat([passport.subarray(0, 2000), Buffer.alloc(64)]) })).rejects.toBeInstanceOf(
      BadDocumentException,
    );
  });

  test('refuses an S3 document over 10 MB as DocumentTooLargeException', async () => {
    await s3.put(BUCKET, 'large.jpg', Buffer.concat([passport, Buffer.alloc(10 * 1024 * 1024)]));
    await expect(analyze({ S3Object: { Bucket: BUCKET, Name: 'large.jpg' } })).rejects.toBeInstanceOf(DocumentTooLargeException);
  });

  test('refuses an S3 object that does not exist as InvalidS3ObjectException', async () => {
    await expect(analyze({ S3Object: { Bucket: BUCKET, Name: 'missing.jpg' } })).rejects.toBeInstanceOf(InvalidS3ObjectException);
  });

  test('refuses a page with both Bytes and S3Object as InvalidParameterException', async () => {
    await expect(analyze({ Bytes: passport, S3Object: { Bucket: BUCKET, Name: 'x.jpg' } })).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
  });

  test('refuses more than two pages with a ValidationException', async () => {
    await expect(analyze({ Bytes: passport }, { Bytes: passport }, { Bytes: passport })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'documentPages' failed to satisfy constraint: Member must have length less than or equal to 2"),
    });
  });

  describe("the functions' document check against it", () => {
    const options = () => ({ client, policy: 'REQUIRE' as const, now: new Date() });

    test('accepts a passport that has not expired, keeping its type, issuing country and expiry', async () => {
      await expect(checkDocument({ bytes: passport }, options())).resolves.toEqual({
        verdict: 'ACCEPT',
        policy: 'REQUIRE',
        document: { documentType: 'PASSPORT', issuingCountry: 'NLD', expiresOn: '2031-04-15' },
      });
    });

    test('refuses a plain selfie as NOT_A_DOCUMENT', async () => {
      await expect(checkDocument({ bytes: await fixture(SELFIE) }, options())).resolves.toMatchObject({ refusal: 'NOT_A_DOCUMENT' });
    });

    test('refuses an identity card that expired as EXPIRED_DOCUMENT', async () => {
      const expired = await renderCard({
        layout: 'TD1',
        holder: { ...HOLDER, expiryDate: '2020-03-01' },
        portrait: 'app-id-photo-angelina_jolie-img6.jpg',
      });
      await expect(checkDocument({ bytes: expired }, options())).resolves.toMatchObject({
        refusal: 'EXPIRED_DOCUMENT',
        document: { expiresOn: '2020-03-01' },
      });
    });
  });
});

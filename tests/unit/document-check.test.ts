import { AnalyzeIDCommand, TextractClient } from '@aws-sdk/client-textract';
import { mockClient } from 'aws-sdk-client-mock';
import { checkDocument, type DocumentCheckOptions } from '../../functions/lib/document-check';
import { serviceError } from './support/aws-mocks';
import { analyzeIdAnswer, PASSPORT } from './support/textract';

const client = new TextractClient({ region: 'us-east-1' });
const textractMock = mockClient(client);
const NOW = new Date('2026-12-01T10:00:00Z');
const PHOTO = { bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]) };
const TD1_MRZ = 'I<NLDL898902C36<<<<<<<<<<<<<<<\n7408122F3104150NLD<<<<<<<<<<<4\nERIKSSON<<ANNA<MARIA<<<<<<<<<<';

const options = (overrides: Partial<DocumentCheckOptions> = {}): DocumentCheckOptions => ({
  client,
  policy: 'REQUIRE',
  now: NOW,
  ...overrides,
});

beforeEach(() => textractMock.reset());

describe('the document check (Textract AnalyzeID)', () => {
  test('accepts a passport that has not expired and keeps only its type, issuing country and expiry date', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(PASSPORT);
    await expect(checkDocument(PHOTO, options())).resolves.toEqual({
      verdict: 'ACCEPT',
      policy: 'REQUIRE',
      document: { documentType: 'PASSPORT', issuingCountry: 'NLD', expiresOn: '2031-04-15' },
    });
  });

  test('sends the photo bytes to AnalyzeID as a single page', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(PASSPORT);
    await checkDocument(PHOTO, options());
    expect(textractMock.commandCalls(AnalyzeIDCommand).map((call) => call.args[0].input)).toEqual([
      { DocumentPages: [{ Bytes: PHOTO.bytes }] },
    ]);
  });

  test('lets Textract read the photo from S3 when given the object', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(PASSPORT);
    await checkDocument({ s3Object: { bucket: 'face-bucket', key: 'enrollment/sub/photo.jpg', version: 'v1' } }, options());
    expect(textractMock.commandCalls(AnalyzeIDCommand)[0]!.args[0].input).toEqual({
      DocumentPages: [{ S3Object: { Bucket: 'face-bucket', Name: 'enrollment/sub/photo.jpg', Version: 'v1' } }],
    });
  });

  test('accepts a document with an MRZ but no ID_TYPE, naming its type from the MRZ document code', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ MRZ_CODE: [TD1_MRZ], EXPIRATION_DATE: ['04/15/2031', '2031-04-15'] }));
    await expect(checkDocument(PHOTO, options())).resolves.toMatchObject({
      verdict: 'ACCEPT',
      document: { documentType: 'IDENTITY CARD', issuingCountry: 'NLD', expiresOn: '2031-04-15' },
    });
  });

  test('accepts a document type without an MRZ, such as a driver licence front', async () => {
    textractMock
      .on(AnalyzeIDCommand)
      .resolves(analyzeIdAnswer({ ID_TYPE: ['DRIVER LICENSE FRONT'], EXPIRATION_DATE: ['01/20/2028', '2028-01-20'] }));
    await expect(checkDocument(PHOTO, options())).resolves.toEqual({
      verdict: 'ACCEPT',
      policy: 'REQUIRE',
      document: { documentType: 'DRIVER LICENSE FRONT', expiresOn: '2028-01-20' },
    });
  });

  test('accepts a document without an expiry date', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ ID_TYPE: ['PASSPORT'] }));
    await expect(checkDocument(PHOTO, options())).resolves.toMatchObject({ verdict: 'ACCEPT', document: { documentType: 'PASSPORT' } });
  });

  test('accepts a document on its expiry day', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ ID_TYPE: ['PASSPORT'], EXPIRATION_DATE: ['12/01/2026', '2026-12-01'] }));
    await expect(checkDocument(PHOTO, options())).resolves.toMatchObject({ verdict: 'ACCEPT' });
  });

  test('refuses a document whose expiry date is in the past as EXPIRED_DOCUMENT', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ ID_TYPE: ['PASSPORT'], EXPIRATION_DATE: ['11/30/2026', '2026-11-30'] }));
    await expect(checkDocument(PHOTO, options())).resolves.toEqual({
      verdict: 'EXPIRED_DOCUMENT',
      policy: 'REQUIRE',
      refusal: 'EXPIRED_DOCUMENT',
      document: { documentType: 'PASSPORT', expiresOn: '2026-11-30' },
    });
  });

  test('refuses a photo in which AnalyzeID finds neither a document type nor an MRZ as NOT_A_DOCUMENT', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ FIRST_NAME: ['ANNA'], EXPIRATION_DATE: ['04/15/2031', '2031-04-15'] }));
    await expect(checkDocument(PHOTO, options())).resolves.toEqual({
      verdict: 'NOT_A_DOCUMENT',
      policy: 'REQUIRE',
      refusal: 'NOT_A_DOCUMENT',
    });
  });

  test('refuses an answer without identity documents as NOT_A_DOCUMENT', async () => {
    textractMock.on(AnalyzeIDCommand).resolves({ $metadata: {}, DocumentMetadata: { Pages: 1 } });
    await expect(checkDocument(PHOTO, options())).resolves.toMatchObject({ verdict: 'NOT_A_DOCUMENT', refusal: 'NOT_A_DOCUMENT' });
  });

  test.each(['InvalidParameterException', 'UnsupportedDocumentException', 'BadDocumentException', 'DocumentTooLargeException'])(
    'refuses a photo Textract rejects with %s as NOT_A_DOCUMENT',
    async (name) => {
      textractMock.on(AnalyzeIDCommand).rejects(serviceError(name));
      await expect(checkDocument(PHOTO, options())).resolves.toEqual({
        verdict: 'NOT_A_DOCUMENT',
        policy: 'REQUIRE',
        refusal: 'NOT_A_DOCUMENT',
      });
    },
  );

  test.each([
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'InternalServerError',
    'AccessDeniedException',
    'InvalidS3ObjectException',
  ])('throws %s so that the caller retries', async (name) => {
    textractMock.on(AnalyzeIDCommand).rejects(serviceError(name));
    await expect(checkDocument(PHOTO, options())).rejects.toMatchObject({ name });
  });

  test('counts an expiry date AnalyzeID could not normalise as no expiry date', async () => {
    const answer = analyzeIdAnswer({ ID_TYPE: ['PASSPORT'], EXPIRATION_DATE: ['SOMETIME'] });
    textractMock.on(AnalyzeIDCommand).resolves(answer);
    await expect(checkDocument(PHOTO, options())).resolves.toEqual({
      verdict: 'ACCEPT',
      policy: 'REQUIRE',
      document: { documentType: 'PASSPORT' },
    });
  });

  test('keeps the holder’s name, document number and date of birth only when keepIdentity asks for them', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(PASSPORT);
    const check = await checkDocument(PHOTO, options({ keepIdentity: true }));
    expect(check.document?.holder).toEqual({
      firstName: 'ANNA MARIA',
      lastName: 'ERIKSSON',
      documentNumber: 'L898902C3',
      dateOfBirth: '1974-08-12',
    });
  });

  test('RECORD keeps the verdict on an expired document but never refuses it', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({ ID_TYPE: ['PASSPORT'], EXPIRATION_DATE: ['01/01/2020', '2020-01-01'] }));
    await expect(checkDocument(PHOTO, options({ policy: 'RECORD' }))).resolves.toEqual({
      verdict: 'EXPIRED_DOCUMENT',
      policy: 'RECORD',
      document: { documentType: 'PASSPORT', expiresOn: '2020-01-01' },
    });
  });

  test('RECORD keeps the verdict on a photo that is not a document but never refuses it', async () => {
    textractMock.on(AnalyzeIDCommand).resolves(analyzeIdAnswer({}));
    await expect(checkDocument(PHOTO, options({ policy: 'RECORD' }))).resolves.toEqual({ verdict: 'NOT_A_DOCUMENT', policy: 'RECORD' });
  });

  test('OFF skips the check without calling Textract', async () => {
    await expect(checkDocument(PHOTO, options({ policy: 'OFF' }))).resolves.toEqual({ verdict: 'SKIPPED', policy: 'OFF' });
    expect(textractMock.calls()).toHaveLength(0);
  });
});

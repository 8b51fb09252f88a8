/**
 * The document check at enrollment: Amazon Textract AnalyzeID reads the uploaded photo, and the photo counts as an
 * identity document when AnalyzeID names a document type (ID_TYPE) or reads a machine-readable zone (MRZ_CODE),
 * and is refused as expired when its expiry date is before today (UTC; a document is valid on its expiry day).
 *
 *   const check = await checkDocument({ bytes }, { client: textract(), policy: config().documentCheck, now: new Date() });
 *   if (check.refusal) -> reject the enrollment with check.refusal ('NOT_A_DOCUMENT' | 'EXPIRED_DOCUMENT')
 *   check.document     -> what may be stored with the enrollment
 *
 * Data minimisation: of everything AnalyzeID reads, only the document type, the issuing country and the expiry date
 * leave this module, unless `keepIdentity` (DOCUMENT_KEEP_IDENTITY) asks for the holder's name, document number and
 * date of birth too. Textract refusals of the image itself are a NOT_A_DOCUMENT verdict; throttling, access and
 * service errors are thrown so that the caller retries.
 */
import { AnalyzeIDCommand, type IdentityDocumentField, type TextractClient } from '@aws-sdk/client-textract';
import { requestOptions } from './aws-clients';
import type { DocumentCheckPolicy } from './config';
import { logger } from './logger';

export type DocumentRefusal = 'NOT_A_DOCUMENT' | 'EXPIRED_DOCUMENT';

/** The holder's identity as the document states it: kept only when DOCUMENT_KEEP_IDENTITY is true. */
export interface DocumentHolder {
  firstName?: string;
  lastName?: string;
  documentNumber?: string;
  /** YYYY-MM-DD */
  dateOfBirth?: string;
}

/** What may be stored of a document. */
export interface DocumentRecord {
  /** AnalyzeID's ID_TYPE (e.g. PASSPORT, DRIVER LICENSE FRONT), else the kind the MRZ's document code names. */
  documentType?: string;
  /** The MRZ's issuing state (ICAO 9303 three-letter code); AnalyzeID has no country field of its own. */
  issuingCountry?: string;
  /** YYYY-MM-DD */
  expiresOn?: string;
  holder?: DocumentHolder;
}

export type DocumentCheck =
  | { verdict: 'SKIPPED'; policy: 'OFF'; refusal?: undefined; document?: undefined }
  | { verdict: 'ACCEPT'; policy: DocumentCheckPolicy; refusal?: undefined; document: DocumentRecord }
  | { verdict: 'EXPIRED_DOCUMENT'; policy: DocumentCheckPolicy; refusal?: 'EXPIRED_DOCUMENT'; document: DocumentRecord }
  | { verdict: 'NOT_A_DOCUMENT'; policy: DocumentCheckPolicy; refusal?: 'NOT_A_DOCUMENT'; document?: undefined };

/** The photo to check: its bytes, or the S3 object (Textract then reads it with the caller's s3:GetObject). */
export type DocumentSource = { bytes: Uint8Array } | { s3Object: { bucket: string; key: string; version?: string } };

export interface DocumentCheckOptions {
  client: TextractClient;
  policy: DocumentCheckPolicy;
  now: Date;
  /** DOCUMENT_KEEP_IDENTITY: also keep the holder's name, document number and date of birth. Default false. */
  keepIdentity?: boolean;
}

/** Textract's refusals of the document itself: retrying cannot change them. */
const DOCUMENT_REFUSALS = new Set([
  'InvalidParameterException',
  'UnsupportedDocumentException',
  'BadDocumentException',
  'DocumentTooLargeException',
]);

/** The kind of document an ICAO 9303 MRZ's first letter names. */
const MRZ_DOCUMENT_TYPES: Record<string, string> = { P: 'PASSPORT', I: 'IDENTITY CARD', A: 'IDENTITY CARD', C: 'IDENTITY CARD', V: 'VISA' };

function fieldsByType(fields: IdentityDocumentField[]): Map<string, IdentityDocumentField> {
  const byType = new Map<string, IdentityDocumentField>();
  for (const field of fields) {
    const type = field.Type?.Text;
    // The first non-empty value of a type counts: AnalyzeID lists every field, with an empty text when it read none.
    if (type && field.ValueDetection?.Text?.trim() && !byType.has(type)) byType.set(type, field);
  }
  return byType;
}

const text = (field: IdentityDocumentField | undefined) => field?.ValueDetection?.Text?.trim() || undefined;

/** AnalyzeID normalises the dates it reads to `YYYY-MM-DDT00:00:00`; a date it could not normalise is no date. */
function normalizedDate(field: IdentityDocumentField | undefined): string | undefined {
  const normalized = field?.ValueDetection?.NormalizedValue;
  if (normalized?.ValueType !== 'DATE' || !normalized.Value) return undefined;
  const date = /^(\d{4}-\d{2}-\d{2})/.exec(normalized.Value)?.[1];
  return date && !Number.isNaN(Date.parse(date)) ? date : undefined;
}

/** The MRZ's document code and issuing state: characters 1 and 3-5 of its first line in every ICAO format. */
function readMrz(mrz: string | undefined): { documentType?: string; issuingCountry?: string } {
  const firstLine = mrz?.split(/\s*\n\s*/)[0]?.toUpperCase() ?? '';
  const issuingCountry = firstLine.slice(2, 5).replace(/<+$/, '');
  return {
    documentType: MRZ_DOCUMENT_TYPES[firstLine.charAt(0)] ?? (firstLine ? 'MRZ DOCUMENT' : undefined),
    issuingCountry: /^[A-Z]{1,3}$/.test(issuingCountry) ? issuingCountry : undefined,
  };
}

function documentRecord(fields: Map<string, IdentityDocumentField>, keepIdentity: boolean): DocumentRecord {
  const mrz = readMrz(text(fields.get('MRZ_CODE')));
  const record: DocumentRecord = {
    documentType: text(fields.get('ID_TYPE'))?.toUpperCase() ?? mrz.documentType,
    issuingCountry: mrz.issuingCountry,
    expiresOn: normalizedDate(fields.get('EXPIRATION_DATE')),
  };
  if (!keepIdentity) return record;
  return {
    ...record,
    holder: {
      firstName: text(fields.get('FIRST_NAME')),
      lastName: text(fields.get('LAST_NAME')),
      documentNumber: text(fields.get('DOCUMENT_NUMBER')),
      dateOfBirth: normalizedDate(fields.get('DATE_OF_BIRTH')),
    },
  };
}

type Finding =
  | { verdict: 'ACCEPT'; document: DocumentRecord }
  | { verdict: 'EXPIRED_DOCUMENT'; document: DocumentRecord }
  | { verdict: 'NOT_A_DOCUMENT'; cause: string };

async function analyze(source: DocumentSource, options: DocumentCheckOptions): Promise<Finding> {
  const page =
    'bytes' in source
      ? { Bytes: source.bytes }
      : { S3Object: { Bucket: source.s3Object.bucket, Name: source.s3Object.key, Version: source.s3Object.version } };
  let identityDocuments;
  try {
    ({ IdentityDocuments: identityDocuments } = await options.client.send(
      new AnalyzeIDCommand({ DocumentPages: [page] }),
      requestOptions(),
    ));
  } catch (error) {
    const name = (error as Error).name;
    if (DOCUMENT_REFUSALS.has(name)) return { verdict: 'NOT_A_DOCUMENT', cause: name };
    throw error;
  }
  const fields = fieldsByType((identityDocuments ?? []).flatMap((document) => document.IdentityDocumentFields ?? []));
  if (!fields.has('ID_TYPE') && !fields.has('MRZ_CODE')) return { verdict: 'NOT_A_DOCUMENT', cause: 'no document type and no MRZ' };
  const document = documentRecord(fields, options.keepIdentity ?? false);
  const today = options.now.toISOString().slice(0, 10);
  if (document.expiresOn && document.expiresOn < today) return { verdict: 'EXPIRED_DOCUMENT', document };
  return { verdict: 'ACCEPT', document };
}

/** Runs the document check under `policy`; `refusal` is set only when REQUIRE refuses the photo. */
export async function checkDocument(source: DocumentSource, options: DocumentCheckOptions): Promise<DocumentCheck> {
  const { policy } = options;
  if (policy === 'OFF') return { verdict: 'SKIPPED', policy };
  const finding = await analyze(source, options);
  const refuse = policy === 'REQUIRE';
  logger.info('document check', {
    policy,
    verdict: finding.verdict,
    ...(finding.verdict === 'NOT_A_DOCUMENT'
      ? { cause: finding.cause }
      : {
          documentType: finding.document.documentType,
          issuingCountry: finding.document.issuingCountry,
          expiresOn: finding.document.expiresOn,
        }),
  });
  switch (finding.verdict) {
    case 'ACCEPT':
      return { verdict: 'ACCEPT', policy, document: finding.document };
    case 'EXPIRED_DOCUMENT':
      return {
        verdict: 'EXPIRED_DOCUMENT',
        policy,
        document: finding.document,
        ...(refuse ? { refusal: 'EXPIRED_DOCUMENT' as const } : {}),
      };
    case 'NOT_A_DOCUMENT':
      return { verdict: 'NOT_A_DOCUMENT', policy, ...(refuse ? { refusal: 'NOT_A_DOCUMENT' as const } : {}) };
  }
}

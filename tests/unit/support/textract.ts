/** Textract AnalyzeID answers as the service gives them, for the document check's tests. */
import type { AnalyzeIDCommandOutput, IdentityDocumentField } from '@aws-sdk/client-textract';

export const PASSPORT_MRZ = 'P<NLDERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36NLD7408122F3104150<<<<<<<<<<<<<<04';

/** An AnalyzeID field as Textract answers it; dates carry a NormalizedValue. */
function field(type: string, value: string, date?: string): IdentityDocumentField {
  return {
    Type: { Text: type },
    ValueDetection: {
      Text: value,
      Confidence: value ? 97.5 : 0,
      ...(date ? { NormalizedValue: { Value: `${date}T00:00:00`, ValueType: 'DATE' } } : {}),
    },
  };
}

/** AnalyzeID lists every field, empty ones included; `read` gives the ones it read. */
export function analyzeIdAnswer(read: Record<string, [string, string?]>): AnalyzeIDCommandOutput {
  const types = ['FIRST_NAME', 'LAST_NAME', 'DOCUMENT_NUMBER', 'EXPIRATION_DATE', 'DATE_OF_BIRTH', 'ID_TYPE', 'MRZ_CODE'];
  return {
    $metadata: {},
    DocumentMetadata: { Pages: 1 },
    IdentityDocuments: [{ DocumentIndex: 1, IdentityDocumentFields: types.map((type) => field(type, ...(read[type] ?? ['']))) }],
  };
}

export const PASSPORT = analyzeIdAnswer({
  ID_TYPE: ['PASSPORT'],
  MRZ_CODE: [PASSPORT_MRZ],
  FIRST_NAME: ['ANNA MARIA'],
  LAST_NAME: ['ERIKSSON'],
  DOCUMENT_NUMBER: ['L898902C3'],
  DATE_OF_BIRTH: ['08/12/1974', '1974-08-12'],
  EXPIRATION_DATE: ['04/15/2031', '2031-04-15'],
});

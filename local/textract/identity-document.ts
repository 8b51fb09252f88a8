/**
 * One page's reading turned into AnalyzeID's IdentityDocumentFields. AnalyzeID lists every normalised field, with
 * an empty text for what it did not read; dates carry a NormalizedValue `{ Value: 'YYYY-MM-DDT00:00:00',
 * ValueType: 'DATE' }`. Here the MRZ (checked by its check digits) gives the holder, the document number and the
 * dates; without an MRZ, dates come from the printed text next to their labels (EXP, DOB, ISS...), read as US
 * documents print them (MM/DD/YYYY) when written with slashes. ID_TYPE is PASSPORT for a passport's MRZ or title and
 * DRIVER LICENSE FRONT for a licence's title, the two AnalyzeID names; other documents are known by their MRZ only.
 */
import type { MachineReadableZone } from './mrz';
import type { TextLine } from './text-reader';

/** AnalyzeID's normalised fields, in the order it lists them. */
export const FIELD_TYPES = [
  'FIRST_NAME',
  'LAST_NAME',
  'MIDDLE_NAME',
  'SUFFIX',
  'CITY_IN_ADDRESS',
  'ZIP_CODE_IN_ADDRESS',
  'STATE_IN_ADDRESS',
  'STATE_NAME',
  'DOCUMENT_NUMBER',
  'EXPIRATION_DATE',
  'DATE_OF_BIRTH',
  'DATE_OF_ISSUE',
  'ID_TYPE',
  'ENDORSEMENTS',
  'VETERAN',
  'RESTRICTIONS',
  'CLASS',
  'ADDRESS',
  'COUNTY',
  'PLACE_OF_BIRTH',
  'MRZ_CODE',
] as const;

export type FieldType = (typeof FIELD_TYPES)[number];

interface Value {
  text: string;
  confidence: number;
  /** YYYY-MM-DD, for dates. */
  date?: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Date labels on the printed side, and the field each one names. */
const DATE_LABELS: [RegExp, FieldType][] = [
  [/\b(EXP(IRES|IRY|IRATION)?|DATE OF EXPIRY|VALID UNTIL)\b/i, 'EXPIRATION_DATE'],
  [/\b(DOB|DATE OF BIRTH|BIRTH DATE)\b/i, 'DATE_OF_BIRTH'],
  [/\b(ISS(UED)?|DATE OF ISSUE|ISSUE DATE)\b/i, 'DATE_OF_ISSUE'],
];

const DATE_PATTERNS: [RegExp, (match: RegExpExecArray) => [string, string, string]][] = [
  [/\b(\d{4})-(\d{2})-(\d{2})\b/, (m) => [m[1]!, m[2]!, m[3]!]],
  [/\b(\d{2})\/(\d{2})\/(\d{4})\b/, (m) => [m[3]!, m[1]!, m[2]!]],
  [/\b(\d{2})\.(\d{2})\.(\d{4})\b/, (m) => [m[3]!, m[2]!, m[1]!]],
  [
    /\b(\d{1,2}) ?([A-Z]{3})[A-Z]* ?(\d{4})\b/i,
    (m) => [m[3]!, String(MONTHS.indexOf(m[2]!.toUpperCase()) + 1).padStart(2, '0'), m[1]!.padStart(2, '0')],
  ],
];

/** The first date in `text`, with the text it was written as. */
function findDate(text: string): { text: string; date: string } | undefined {
  for (const [pattern, parts] of DATE_PATTERNS) {
    const match = pattern.exec(text);
    if (!match) continue;
    const [year, month, day] = parts(match);
    const date = `${year}-${month}-${day}`;
    if (month !== '00' && !Number.isNaN(Date.parse(date)) && new Date(date).toISOString().startsWith(date)) return { text: match[0], date };
  }
  return undefined;
}

/** Dates printed next to (or on the line under) their label. */
function labelledDates(lines: TextLine[]): Map<FieldType, Value> {
  const dates = new Map<FieldType, Value>();
  lines.forEach((line, index) => {
    for (const [label, field] of DATE_LABELS) {
      const labelMatch = label.exec(line.text);
      if (!labelMatch || dates.has(field)) continue;
      const after = line.text.slice(labelMatch.index + labelMatch[0].length);
      const next = lines[index + 1];
      const found = findDate(after) ?? (next ? findDate(next.text) : undefined);
      if (found) dates.set(field, { text: found.text, date: found.date, confidence: line.confidence });
    }
  });
  return dates;
}

function documentType(lines: TextLine[], mrz: MachineReadableZone | undefined): Value | undefined {
  if (mrz?.documentCode.startsWith('P')) return { text: 'PASSPORT', confidence: 99 };
  for (const line of lines) {
    if (/\bPASSPORT\b/i.test(line.text)) return { text: 'PASSPORT', confidence: line.confidence };
    if (/\bDRIV(ER'?S?|ING) LICEN[CS]E\b/i.test(line.text)) return { text: 'DRIVER LICENSE FRONT', confidence: line.confidence };
  }
  return undefined;
}

/** MM/DD/YYYY, as AnalyzeID's US documents print dates, for a date read from the MRZ. */
const usDate = (date: string) => `${date.slice(5, 7)}/${date.slice(8, 10)}/${date.slice(0, 4)}`;

function mrzValues(mrz: MachineReadableZone, confidence: number): Map<FieldType, Value> {
  const [first = '', ...middle] = mrz.firstName.split(' ');
  const values = new Map<FieldType, Value>([
    ['FIRST_NAME', { text: first, confidence }],
    ['MIDDLE_NAME', { text: middle.join(' '), confidence }],
    ['LAST_NAME', { text: mrz.lastName, confidence }],
    ['DOCUMENT_NUMBER', { text: mrz.documentNumber, confidence }],
    ['DATE_OF_BIRTH', { text: usDate(mrz.birthDate), date: mrz.birthDate, confidence }],
    ['EXPIRATION_DATE', { text: usDate(mrz.expirationDate), date: mrz.expirationDate, confidence }],
    ['MRZ_CODE', { text: mrz.lines.join('\n'), confidence }],
  ]);
  return new Map([...values].filter(([, value]) => value.text !== ''));
}

/** The IdentityDocumentFields of one page: every field type, in AnalyzeID's order. */
export function identityDocumentFields(page: {
  lines: TextLine[];
  mrz?: { zone: MachineReadableZone; confidence: number };
}): Record<string, unknown>[] {
  const values = new Map<FieldType, Value>([
    ...labelledDates(page.lines),
    ...(page.mrz ? mrzValues(page.mrz.zone, page.mrz.confidence) : []),
  ]);
  const type = documentType(page.lines, page.mrz?.zone);
  if (type) values.set('ID_TYPE', type);
  return FIELD_TYPES.map((field) => {
    const value = values.get(field);
    return {
      Type: { Text: field },
      ValueDetection: {
        Text: value?.text ?? '',
        ...(value?.date ? { NormalizedValue: { Value: `${value.date}T00:00:00`, ValueType: 'DATE' } } : {}),
        Confidence: value?.confidence ?? 0,
      },
    };
  });
}

/**
 * One page's reading turned into AnalyzeID's IdentityDocumentFields. AnalyzeID lists every normalised field, with
 * an empty text for what it did not read; dates carry a NormalizedValue `{ Value: 'YYYY-MM-DDT00:00:00',
 * ValueType: 'DATE' }`. Here the MRZ (checked by its check digits) gives the holder, the document number and the
 * dates; without an MRZ, dates come from the printed text beside or under their labels (EXP, DOB, ISS, an EU
 * licence's 4a/4b...), read as US documents print them (MM/DD/YYYY) when written with slashes. ID_TYPE is PASSPORT
 * for a passport's MRZ or title and DRIVER LICENSE FRONT for a licence's title, the two AnalyzeID names; other
 * documents are known by their MRZ only.
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

/**
 * Date labels on the printed side, and the field each one names; 4a and 4b are the issue and expiry dates' field
 * numbers on EU driving licences (Directive 2006/126/EC), which print numbers instead of labels.
 */
const DATE_LABELS: [RegExp, FieldType][] = [
  // 'ab.': OCR's frequent reading of 4b.
  [/\b(EXP[A-Z]*|DATE OF EXPIRY|VALID UNTIL|4B)\b|\bAB\./i, 'EXPIRATION_DATE'],
  [/\b(DOB|DATE OF BIRTH|BIRTH DATE)\b/i, 'DATE_OF_BIRTH'],
  [/\b(ISS(UED)?|DATE OF ISSUE|ISSUE DATE|4A)\b/i, 'DATE_OF_ISSUE'],
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

/** A date read on the page: its text, its value and where it starts (x, px, estimated from its place in the line). */
interface PrintedDate {
  text: string;
  date: string;
  x: number;
  line: TextLine;
}

/** Where character `index` of `line` starts on the page, assuming characters of even width. */
const xOf = (line: TextLine, index: number) => line.box.left + (line.box.width * index) / Math.max(1, line.text.length);

/** The valid dates in `line`, from character `from` on. */
function datesIn(line: TextLine, from = 0): PrintedDate[] {
  const dates: PrintedDate[] = [];
  for (const [pattern, parts] of DATE_PATTERNS) {
    const global = new RegExp(pattern.source, `${pattern.flags}g`);
    global.lastIndex = from;
    for (let match = global.exec(line.text); match; match = global.exec(line.text)) {
      const [year, month, day] = parts(match);
      const date = `${year}-${month}-${day}`;
      if (month === '00' || Number.isNaN(Date.parse(date)) || !new Date(date).toISOString().startsWith(date)) continue;
      dates.push({ text: match[0], date, x: xOf(line, match.index), line });
    }
  }
  return dates.sort((a, b) => a.x - b.x);
}

/**
 * The date a label names: after it on its line, else the nearest on the same row to its right, else the one below
 * it (within two and a half line heights) that starts nearest to it, as forms print a label above its value.
 */
function dateFor(label: TextLine, labelEnd: number, labelX: number, lines: TextLine[]): PrintedDate | undefined {
  const sameLine = datesIn(label, labelEnd)[0];
  if (sameLine) return sameLine;
  const { top, height } = label.box;
  const middle = top + height / 2;
  const others = lines.filter((line) => line !== label).flatMap((line) => datesIn(line));
  const right = others
    .filter((found) => Math.abs(found.line.box.top + found.line.box.height / 2 - middle) < height / 2 && found.x > labelX)
    .sort((a, b) => a.x - b.x)[0];
  if (right) return right;
  return others
    .filter((found) => found.line.box.top > middle && found.line.box.top < top + 2.5 * height)
    .sort((a, b) => Math.abs(a.x - labelX) - Math.abs(b.x - labelX))[0];
}

/** Dates printed next to (or under) their label. */
function labelledDates(lines: TextLine[]): Map<FieldType, Value> {
  const dates = new Map<FieldType, Value>();
  for (const line of lines) {
    for (const [label, field] of DATE_LABELS) {
      const labelMatch = label.exec(line.text);
      if (!labelMatch || dates.has(field)) continue;
      const found = dateFor(line, labelMatch.index + labelMatch[0].length, xOf(line, labelMatch.index), lines);
      if (found) dates.set(field, { text: found.text, date: found.date, confidence: Math.min(line.confidence, found.line.confidence) });
    }
  }
  return dates;
}

/** The document's type, from its MRZ's code or a title on the page; undefined when neither names one. */
export function documentType(lines: TextLine[], mrz: MachineReadableZone | undefined): Value | undefined {
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

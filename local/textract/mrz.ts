/**
 * The machine-readable zone (ICAO 9303) of a page: where it is, and what it says once its check digits agree.
 * OCR miscounts long runs of the '<' filler, so a line of the wrong length is repaired by stretching or shrinking its
 * longest filler run; the check digits then decide whether the reading stands (the `mrz` package parses and checks).
 */
import { parse, type ParseResult } from 'mrz';
import type { Box, TextLine } from './text-reader';

export type MrzFormat = 'TD1' | 'TD2' | 'TD3';

export interface MachineReadableZone {
  format: MrzFormat;
  /** The zone's lines as corrected by the check digits. */
  lines: string[];
  documentCode: string;
  issuingState: string;
  lastName: string;
  firstName: string;
  documentNumber: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** YYYY-MM-DD */
  expirationDate: string;
}

/** Lines per zone, characters per line, and the line and column where the holder's name begins. */
const FORMATS: Record<MrzFormat, { lines: number; length: number; names: [number, number] }> = {
  TD1: { lines: 3, length: 30, names: [2, 0] },
  TD2: { lines: 2, length: 36, names: [0, 5] },
  TD3: { lines: 2, length: 44, names: [0, 5] },
};

/** Fields the parser checks against its list of real states: a specimen's state (UTO) is still a zone. */
const LISTED_FIELDS = new Set(['issuingState', 'nationality']);

const normalise = (text: string) => text.toUpperCase().replace(/[«‹]/g, '<').replace(/\s+/g, '');

/** A page line that reads like MRZ text: long, almost only A-Z, 0-9 and '<', with a filler run. */
function looksLikeMrz(text: string): boolean {
  const line = normalise(text);
  const mrzCharacters = line.replace(/[^A-Z0-9<]/g, '').length;
  return line.length >= 20 && mrzCharacters >= 0.85 * line.length && line.includes('<<');
}

/** The page lines that read like the zone, the band that holds them and their characters' height; undefined when none do. */
export function findMrzBand(
  lines: TextLine[],
  page: { width: number; height: number },
): { lines: TextLine[]; band: Box; textHeight: number } | undefined {
  const zone = lines.filter((line) => looksLikeMrz(line.text));
  if (zone.length === 0) return undefined;
  const heights = zone.map((line) => line.box.height).sort((a, b) => a - b);
  const textHeight = heights[Math.floor(heights.length / 2)]!;
  const margin = Math.round(textHeight * 0.6);
  const tops = zone.map((line) => line.box.top).sort((a, b) => a - b);
  // Fewer lines than a TD1's three: the page layout may have merged the top one into a picture above it, so the band
  // reaches one line further up (a line that is not MRZ text there is dropped when the band is read).
  const pitch = tops.length >= 2 ? tops[1]! - tops[0]! : Math.round(textHeight * 1.5);
  const missingAbove = zone.length < FORMATS.TD1.lines ? pitch : 0;
  const left = Math.max(0, Math.min(...zone.map((line) => line.box.left)) - margin);
  const top = Math.max(0, tops[0]! - margin - missingAbove);
  const right = Math.min(page.width, Math.max(...zone.map((line) => line.box.left + line.box.width)) + margin);
  const bottom = Math.min(page.height, Math.max(...zone.map((line) => line.box.top + line.box.height)) + margin);
  return { lines: zone, band: { left, top, width: right - left, height: bottom - top }, textHeight };
}

/** `line` at `length` characters by resizing its longest '<' run; undefined when that cannot give the length. */
function repairLength(line: string, length: number): string | undefined {
  if (line.length === length) return line;
  const runs = [...line.matchAll(/<{2,}/g)];
  const longest = runs.sort((a, b) => b[0].length - a[0].length)[0];
  if (!longest) return undefined;
  const runLength = longest[0].length + length - line.length;
  if (runLength < 1) return undefined;
  return line.slice(0, longest.index) + '<'.repeat(runLength) + line.slice(longest.index + longest[0].length);
}

/** YYMMDD as a date: a birth date is never in the future; an expiry date is the reading nearest to today. */
function fullDate(yymmdd: string, kind: 'birth' | 'expiry', now: Date): string | undefined {
  if (!/^\d{6}$/.test(yymmdd)) return undefined;
  const [yy, mm, dd] = [yymmdd.slice(0, 2), yymmdd.slice(2, 4), yymmdd.slice(4, 6)];
  const candidates = [`19${yy}-${mm}-${dd}`, `20${yy}-${mm}-${dd}`].filter((date) => !Number.isNaN(Date.parse(date)));
  const today = now.toISOString().slice(0, 10);
  if (kind === 'birth') return candidates.filter((date) => date <= today).pop();
  const distance = (date: string) => Math.abs(Date.parse(date) - now.getTime());
  return candidates.sort((a, b) => distance(a) - distance(b))[0];
}

/** The lines with the parser's corrections (O for 0 and the like, where a field's alphabet demands it) applied. */
function correctedLines(lines: string[], result: ParseResult): string[] {
  const characters = lines.map((line) => [...line]);
  for (const detail of result.details) {
    for (const { line, column, corrected } of detail.autocorrect) characters[line]![column] = corrected;
  }
  return characters.map((line) => line.join(''));
}

/** What OCR reads for the I that begins most identity cards' zone (TD1 codes begin with A, C or I; no check digit covers it). */
const MISREAD_I = /^[T1L|!]/;

/**
 * The name field with its filler restored: a name never holds '<<<', so what OCR reads as letters after it (the
 * filler's '<' runs read as C, L, E...) is filler. No check digit covers the name.
 */
function clearNameFiller(line: string, from: number): string {
  const end = line.indexOf('<<<', from);
  return end < 0 ? line : line.slice(0, end) + '<'.repeat(line.length - end);
}

function tryFormat(read: string[], format: MrzFormat, now: Date): MachineReadableZone | undefined {
  const { lines: count, length, names } = FORMATS[format];
  const repaired = read.slice(-count).map((line) => repairLength(line, length));
  if (repaired.length < count || repaired.some((line) => line === undefined)) return undefined;
  if (format === 'TD1') repaired[0] = repaired[0]!.replace(MISREAD_I, 'I');
  const [nameLine, nameColumn] = names;
  repaired[nameLine] = clearNameFiller(repaired[nameLine]!, nameColumn);
  let result: ParseResult;
  try {
    result = parse(repaired as string[], { autocorrect: true });
  } catch {
    return undefined;
  }
  if (result.format !== format || result.details.some((detail) => !detail.valid && !LISTED_FIELDS.has(detail.field ?? '')))
    return undefined;
  const { fields } = result;
  const birthDate = fullDate(fields.birthDate ?? '', 'birth', now);
  const expirationDate = fullDate(fields.expirationDate ?? '', 'expiry', now);
  if (!birthDate || !expirationDate) return undefined;
  return {
    format,
    lines: correctedLines(repaired as string[], result),
    documentCode: fields.documentCode ?? '',
    issuingState: fields.issuingState ?? '',
    lastName: fields.lastName ?? '',
    firstName: fields.firstName ?? '',
    documentNumber: fields.documentNumber ?? '',
    birthDate,
    expirationDate,
  };
}

/** The zone in OCR'd lines (the last lines of MRZ length), when its check digits agree; undefined otherwise. */
export function readMrzLines(lines: string[], now: Date): MachineReadableZone | undefined {
  const read = lines.map(normalise).filter((line) => line.length >= 20);
  for (const format of ['TD3', 'TD2', 'TD1'] as const) {
    const zone = tryFormat(read, format, now);
    if (zone) return zone;
  }
  return undefined;
}

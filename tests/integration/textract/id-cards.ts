/**
 * Test fixtures for the document check: ID cards rendered with sharp from SVG, a portrait from the face fixtures
 * and a machine-readable zone with valid ICAO 9303 check digits, in DejaVu Sans Mono (fonts-dejavu-core, which
 * .ci/run installs). TD3 is a passport data page (2 lines of 44), TD1 an identity card (3 lines of 30).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const FACES = fileURLToPath(new URL('../../fixtures/faces/', import.meta.url));

export interface CardHolder {
  surname: string;
  givenNames: string;
  documentNumber: string;
  /** ISO 3166-1 alpha-3 (or an ICAO code such as UTO). */
  country: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** YYYY-MM-DD */
  expiryDate: string;
  sex: 'F' | 'M' | '<';
}

const WEIGHTS = [7, 3, 1];

/** ICAO 9303 check digit: digits count as themselves, A-Z as 10-35, '<' as 0, weighted 7, 3, 1. */
export function checkDigit(field: string): string {
  let sum = 0;
  [...field].forEach((char, index) => {
    const value = /\d/.test(char) ? Number(char) : char === '<' ? 0 : char.charCodeAt(0) - 55;
    sum += value * WEIGHTS[index % 3]!;
  });
  return String(sum % 10);
}

const mrzText = (value: string) => value.toUpperCase().replace(/[^A-Z0-9]+/g, '<');
const pad = (value: string, length: number) => value.padEnd(length, '<').slice(0, length);
const yymmdd = (date: string) => date.slice(2).replaceAll('-', '');
/** A field followed by its check digit. */
const checked = (field: string) => `${field}${checkDigit(field)}`;
/** Surname, then '<<', then the given names separated by '<'. */
const name = (holder: CardHolder, length: number) => pad(`${mrzText(holder.surname)}<<${mrzText(holder.givenNames)}`, length);

export function td3Lines(holder: CardHolder): string[] {
  const number = pad(mrzText(holder.documentNumber), 9);
  const birth = yymmdd(holder.birthDate);
  const expiry = yymmdd(holder.expiryDate);
  const optional = pad('', 14);
  const composite = `${checked(number)}${checked(birth)}${checked(expiry)}${checked(optional)}`;
  return [
    `P<${holder.country}${name(holder, 39)}`,
    `${checked(number)}${holder.country}${checked(birth)}${holder.sex}${checked(expiry)}${checked(optional)}${checkDigit(composite)}`,
  ];
}

export function td1Lines(holder: CardHolder): string[] {
  const number = pad(mrzText(holder.documentNumber), 9);
  const birth = yymmdd(holder.birthDate);
  const expiry = yymmdd(holder.expiryDate);
  const line1 = `I<${holder.country}${number}${checkDigit(number)}${pad('', 15)}`;
  const line2Start = `${birth}${checkDigit(birth)}${holder.sex}${expiry}${checkDigit(expiry)}${holder.country}${pad('', 11)}`;
  const composite = `${line1.slice(5, 30)}${line2Start.slice(0, 7)}${line2Start.slice(8, 15)}${line2Start.slice(18, 29)}`;
  return [line1, `${line2Start}${checkDigit(composite)}`, name(holder, 30)];
}

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Wavy security lines behind the text, as on real cards: OCR has to read through them. */
function guilloche(width: number, height: number): string {
  const paths: string[] = [];
  for (let line = 0; line < 14; line += 1) {
    const points: string[] = [];
    for (let x = 0; x <= width; x += 20) {
      const y = (height * (line + 1)) / 15 + 18 * Math.sin((x / width) * Math.PI * 6 + line);
      points.push(`${x},${y.toFixed(1)}`);
    }
    paths.push(`<polyline points="${points.join(' ')}" fill="none" stroke="#b9cfe0" stroke-width="1.5"/>`);
  }
  return paths.join('');
}

export interface CardOptions {
  layout: 'TD3' | 'TD1';
  holder: CardHolder;
  /** A file in tests/fixtures/faces/. */
  portrait: string;
  /** Card width in pixels; default 1100. */
  width?: number;
}

/** A JPEG of the card: title, portrait, printed fields and the MRZ along the bottom. */
export async function renderCard({ layout, holder, portrait, width = 1100 }: CardOptions): Promise<Buffer> {
  const height = Math.round(width / (layout === 'TD3' ? 1.42 : 1.585));
  const scale = width / 1100;
  const lines = layout === 'TD3' ? td3Lines(holder) : td1Lines(holder);
  const mrzFont = (layout === 'TD3' ? 37 : 50) * scale;
  const lineHeight = mrzFont * 1.35;
  const mrzTop = height - lineHeight * lines.length - 24 * scale;
  const title = layout === 'TD3' ? 'PASSPORT' : 'IDENTITY CARD';
  const fields = [
    ['Surname', holder.surname],
    ['Given names', holder.givenNames],
    ['Document no.', holder.documentNumber],
    ['Date of birth', holder.birthDate],
    ['Date of expiry', holder.expiryDate],
  ];
  const text = (x: number, y: number, size: number, value: string, extra = '') =>
    `<text x="${x * scale}" y="${y * scale}" font-size="${size * scale}" ${extra}>${escapeXml(value)}</text>`;
  const mrz = lines.map(
    (line, index) =>
      `<text x="${24 * scale}" y="${mrzTop + lineHeight * (index + 1) - mrzFont * 0.3}" font-size="${mrzFont}" xml:space="preserve">` +
      `${escapeXml(line)}</text>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#eef3f6"/>
    ${guilloche(width, height)}
    <g font-family="DejaVu Sans" fill="#1d2b36">
      ${text(40, 60, 40, title, 'font-weight="bold"')}
      ${text(700, 60, 26, holder.country)}
      ${fields.map(([label, value], index) => text(380, 130 + index * 62, 18, label!) + text(380, 158 + index * 62, 26, value!)).join('')}
    </g>
    <g font-family="DejaVu Sans Mono" fill="#111">
      ${mrz.join('')}
    </g>
  </svg>`;
  const photoHeight = Math.round(Math.min(380 * scale, mrzTop - 110 * scale));
  const photo = await sharp(await readFile(`${FACES}${portrait}`))
    .rotate()
    .resize(Math.round(photoHeight * 0.78), photoHeight, { fit: 'cover' })
    .grayscale()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: photo, left: Math.round(40 * scale), top: Math.round(90 * scale) }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

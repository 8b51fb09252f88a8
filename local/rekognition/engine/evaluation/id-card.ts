/**
 * Synthetic photos of identity documents (specimens of the fictitious ICAO state "UTO", Utopia) built around a real
 * portrait: a passport data page with a TD3 MRZ, a national identity card with a TD1 MRZ, or a driving licence.
 * Security printing (guilloche rosettes and wave lines, some across the portrait), a grayscale or colour print of the
 * portrait, then the photo of the document: tilt, shear, lighting, glare, blur and JPEG compression. Everything comes
 * from a seed, so the same seed and portrait give the same bytes. Text is SVG text rendered by librsvg through sharp,
 * in DejaVu Sans / DejaVu Sans Mono (fonts-dejavu-core, which Debian's fontconfig depends on; generic families as a
 * fallback), so an OCR pass can read the fields and the MRZ. Used by the face bench and for samples/.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { td1Lines, td3Lines, type MrzFields } from './mrz';

export type DocumentLayout = 'passport' | 'national-id' | 'driving-licence';
export const DOCUMENT_LAYOUTS: readonly DocumentLayout[] = ['passport', 'national-id', 'driving-licence'];

/** A rectangle in the portrait's source pixels. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface IdCardOptions {
  /** Any string or number; the same seed and portrait always give the same image. */
  seed: string | number;
  /** Default: chosen by the seed. */
  layout?: DocumentLayout;
  /** Default: chosen by the seed (passports and cards print grey portraits often, licences rarely). */
  grayscalePortrait?: boolean;
  /** The head-and-shoulders part of the portrait photo; default a centred crop, right for LFW-style images. */
  portraitCrop?: CropBox;
  /** YYYY-MM-DD; default 10 years after a seeded issue date in 2024-2026, so the document is valid for years. */
  dateOfExpiry?: string;
  /** Width of the output photo; default 1100. */
  width?: number;
}

/** What the document says, as printed (dates YYYY-MM-DD). */
export interface IdCardFields {
  layout: DocumentLayout;
  /** The document's own title as printed, e.g. "PASSPORT". */
  documentType: string;
  issuingCountry: string;
  issuingCountryCode: string;
  surname: string;
  givenNames: string;
  documentNumber: string;
  dateOfBirth: string;
  sex: 'M' | 'F';
  dateOfIssue: string;
  dateOfExpiry: string;
  /** The MRZ lines (TD3 for passports, TD1 for identity cards); null for a driving licence, which has none. */
  mrz: string[] | null;
}

export interface IdCard {
  /** JPEG bytes of the photo of the document. */
  image: Buffer;
  width: number;
  height: number;
  fields: IdCardFields;
}

/** Intermediate images only: compression would cost more than the whole render. */
const FAST_PNG = { compressionLevel: 0 } as const;
const COUNTRY = 'UTOPIA';
const COUNTRY_CODE = 'UTO';
const SANS = "'DejaVu Sans', sans-serif";
const MONO = "'DejaVu Sans Mono', monospace";
/** DejaVu Sans Mono's advance width per em: sets the MRZ font size from the width each character may take. */
const MONO_ADVANCE = 0.602;

const SURNAMES = [
  'ERIKSSON',
  'MARTIN',
  'NOWAK',
  'GARCIA',
  'ROSSI',
  'SILVA',
  'OKAFOR',
  'TANAKA',
  'MUELLER',
  'DUBOIS',
  'JANSEN',
  'KOWALSKI',
  'PETROV',
  'HANSEN',
  'MORENO',
  'LINDQVIST',
  'OBRIEN',
  'NGUYEN',
  'SCHMIDT',
  'FERREIRA',
];
const GIVEN_NAMES: Record<'M' | 'F', readonly string[]> = {
  F: ['ANNA MARIA', 'SOFIA', 'ELENA', 'CLAIRE', 'AMARA', 'YUKI', 'LAURA JANE', 'INGRID', 'MARTA', 'NORA'],
  M: ['JOHN', 'PAUL ANDRE', 'LUCAS', 'KENJI', 'DAVID', 'MATEO', 'OLAF', 'SAMUEL', 'PIOTR', 'ARTHUR JAMES'],
};

/** mulberry32 over an FNV-1a hash of the seed: small, fast and the same on every platform. */
function randomFrom(seed: string | number): () => number {
  let state = 0x811c9dc5;
  for (const character of String(seed)) state = Math.imul(state ^ character.charCodeAt(0), 0x01000193);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof randomFrom>;
const between = (random: Random, low: number, high: number) => low + (high - low) * random();
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function isoDate(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function randomDate(random: Random, fromYear: number, toYear: number): string {
  return isoDate(Math.floor(between(random, fromYear, toYear + 1)), 1 + Math.floor(random() * 12), 1 + Math.floor(random() * 28));
}

const toMrzDate = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
const toPrintedDate = (iso: string) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, size: number, value: string, attributes = ''): string {
  return `<text x="${x}" y="${y}" font-family="${SANS}" font-size="${size}" ${attributes}>${escapeXml(value)}</text>`;
}

/** A hypotrochoid rosette, the classic guilloche figure. */
function rosette(random: Random, cx: number, cy: number, radius: number, colour: string, opacity: number): string {
  const R = radius;
  const r = R * between(random, 0.18, 0.42);
  const d = r * between(random, 0.8, 1.6);
  const turns = 24;
  const points: string[] = [];
  for (let i = 0; i <= 2400; i++) {
    const t = (i / 2400) * Math.PI * 2 * turns;
    const x = (R - r) * Math.cos(t) + d * Math.cos(((R - r) / r) * t);
    const y = (R - r) * Math.sin(t) - d * Math.sin(((R - r) / r) * t);
    points.push(`${(cx + (x * radius) / (R - r + d)).toFixed(1)},${(cy + (y * radius) / (R - r + d)).toFixed(1)}`);
  }
  return `<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="0.7" opacity="${opacity}"/>`;
}

/** Interlaced sine lines across a rectangle, the guilloche of the document's background. */
function waveLines(random: Random, box: CropBox, count: number, colour: string, opacity: number): string {
  const wavelength = between(random, 60, 160);
  const amplitude = between(random, 6, 22);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const y0 = box.top + ((i + 0.5) / count) * box.height;
    const phase = i * between(random, 0.15, 0.35);
    const points: string[] = [];
    for (let x = box.left; x <= box.left + box.width; x += 6) {
      points.push(`${x},${(y0 + amplitude * Math.sin((x / wavelength) * 2 * Math.PI + phase)).toFixed(1)}`);
    }
    lines.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="0.8" opacity="${opacity}"/>`);
  }
  return lines.join('');
}

interface Palette {
  paper: [string, string];
  ink: string;
  guilloche: string;
  accent: string;
}

function palette(random: Random): Palette {
  const hue = Math.floor(between(random, 0, 360));
  return {
    paper: [`hsl(${hue},45%,93%)`, `hsl(${(hue + 40) % 360},40%,86%)`],
    ink: '#1c1c28',
    guilloche: `hsl(${(hue + 180) % 360},55%,45%)`,
    accent: `hsl(${hue},60%,30%)`,
  };
}

interface Person {
  surname: string;
  givenNames: string;
  sex: 'M' | 'F';
  dateOfBirth: string;
  dateOfIssue: string;
  dateOfExpiry: string;
  documentNumber: string;
}

function person(random: Random, dateOfExpiry: string | undefined): Person {
  const sex = random() < 0.5 ? 'F' : 'M';
  const dateOfIssue = randomDate(random, 2024, 2026);
  const letters = 'CFGHJKLMNPRTVWXYZ';
  const documentNumber = pick(random, [...letters]) + pick(random, [...letters]) + String(Math.floor(between(random, 1e6, 1e7)));
  return {
    surname: pick(random, SURNAMES),
    givenNames: pick(random, GIVEN_NAMES[sex]),
    sex,
    dateOfBirth: randomDate(random, 1950, 2004),
    dateOfIssue,
    dateOfExpiry: dateOfExpiry ?? `${Number(dateOfIssue.slice(0, 4)) + 10}${dateOfIssue.slice(4)}`,
    documentNumber,
  };
}

interface Layout {
  width: number;
  height: number;
  title: string;
  portrait: CropBox;
  /** A second, faded copy of the portrait, as many cards print beside the main one. */
  ghost: CropBox | null;
  fields: (p: Person) => { label: string; value: string; x: number; y: number }[];
  mrz: ((p: Person) => string[]) | null;
  mrzBox: CropBox | null;
}

function mrzFields(p: Person): MrzFields {
  return {
    issuingState: COUNTRY_CODE,
    nationality: COUNTRY_CODE,
    surname: p.surname,
    givenNames: p.givenNames,
    documentNumber: p.documentNumber,
    dateOfBirth: toMrzDate(p.dateOfBirth),
    sex: p.sex,
    dateOfExpiry: toMrzDate(p.dateOfExpiry),
  };
}

/** Geometry in document pixels: 125 x 88 mm (TD3) and 85.6 x 54 mm (ID-1) at 8 and 11.7 px/mm. */
const LAYOUTS: Record<DocumentLayout, Layout> = {
  passport: {
    width: 1000,
    height: 704,
    title: 'PASSPORT',
    portrait: { left: 40, top: 110, width: 270, height: 347 },
    ghost: null,
    fields: (p) => [
      { label: 'Type', value: 'P', x: 340, y: 120 },
      { label: 'Code', value: COUNTRY_CODE, x: 440, y: 120 },
      { label: 'Passport No.', value: p.documentNumber, x: 600, y: 120 },
      { label: 'Surname', value: p.surname, x: 340, y: 180 },
      { label: 'Given names', value: p.givenNames, x: 340, y: 240 },
      { label: 'Nationality', value: COUNTRY, x: 340, y: 300 },
      { label: 'Date of birth', value: toPrintedDate(p.dateOfBirth), x: 340, y: 360 },
      { label: 'Sex', value: p.sex, x: 640, y: 360 },
      { label: 'Date of issue', value: toPrintedDate(p.dateOfIssue), x: 340, y: 420 },
      { label: 'Date of expiry', value: toPrintedDate(p.dateOfExpiry), x: 640, y: 420 },
      { label: 'Authority', value: 'MINISTRY OF INTERIOR', x: 340, y: 480 },
    ],
    mrz: (p) => td3Lines(mrzFields(p)),
    mrzBox: { left: 30, top: 545, width: 940, height: 150 },
  },
  'national-id': {
    width: 1000,
    height: 631,
    title: 'IDENTITY CARD',
    portrait: { left: 30, top: 84, width: 230, height: 296 },
    ghost: { left: 830, top: 250, width: 110, height: 141 },
    fields: (p) => [
      { label: 'Surname', value: p.surname, x: 290, y: 105 },
      { label: 'Given names', value: p.givenNames, x: 290, y: 165 },
      { label: 'Sex', value: p.sex, x: 290, y: 225 },
      { label: 'Nationality', value: COUNTRY_CODE, x: 400, y: 225 },
      { label: 'Date of birth', value: toPrintedDate(p.dateOfBirth), x: 560, y: 225 },
      { label: 'Document No.', value: p.documentNumber, x: 290, y: 285 },
      { label: 'Date of expiry', value: toPrintedDate(p.dateOfExpiry), x: 290, y: 345 },
    ],
    mrz: (p) => td1Lines(mrzFields(p)),
    mrzBox: { left: 30, top: 410, width: 940, height: 210 },
  },
  'driving-licence': {
    width: 1000,
    height: 631,
    title: 'DRIVING LICENCE',
    portrait: { left: 30, top: 100, width: 260, height: 334 },
    ghost: null,
    fields: (p) => [
      { label: '1.', value: p.surname, x: 320, y: 130 },
      { label: '2.', value: p.givenNames, x: 320, y: 185 },
      { label: '3.', value: `${toPrintedDate(p.dateOfBirth)} ${COUNTRY}`, x: 320, y: 240 },
      { label: '4a.', value: toPrintedDate(p.dateOfIssue), x: 320, y: 295 },
      { label: '4b.', value: toPrintedDate(p.dateOfExpiry), x: 600, y: 295 },
      { label: '4c.', value: 'TRANSPORT AUTHORITY', x: 320, y: 350 },
      { label: '5.', value: p.documentNumber, x: 320, y: 405 },
      { label: '9.', value: 'AM/A1/B', x: 320, y: 460 },
    ],
    mrz: null,
    mrzBox: null,
  },
};

function defaultCrop(width: number, height: number): CropBox {
  // A passport-style head-and-shoulders frame (35:45) around the image's centre, where LFW puts the face.
  const cropWidth = Math.min(width, height * (35 / 45)) * 0.62;
  const cropHeight = (cropWidth * 45) / 35;
  return { left: (width - cropWidth) / 2, top: Math.max(0, height * 0.47 - cropHeight / 2), width: cropWidth, height: cropHeight };
}

async function printedPortrait(photo: Buffer, crop: CropBox, slot: CropBox, grayscale: boolean, random: Random): Promise<Buffer> {
  const meta = await sharp(photo).rotate().metadata();
  const upright = { width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0 };
  const left = Math.max(0, Math.round(crop.left));
  const top = Math.max(0, Math.round(crop.top));
  const region = {
    left,
    top,
    width: Math.max(1, Math.min(upright.width - left, Math.round(crop.width))),
    height: Math.max(1, Math.min(upright.height - top, Math.round(crop.height))),
  };
  let portrait = sharp(photo).rotate().extract(region).resize(slot.width, slot.height, { fit: 'cover' });
  if (grayscale) portrait = portrait.grayscale();
  // Print loses contrast and lifts the blacks.
  const contrast = between(random, 0.75, 0.95);
  return portrait
    .linear(contrast, 255 * (1 - contrast) * between(random, 0.4, 0.8))
    .toColourspace('srgb')
    .png(FAST_PNG)
    .toBuffer();
}

/** The flat document: paper, guilloche, portrait(s), text and MRZ. */
async function renderDocument(photo: Buffer, layout: Layout, p: Person, mrz: string[] | null, options: IdCardOptions, random: Random) {
  const colours = palette(random);
  const { width, height } = layout;
  const grayscale = options.grayscalePortrait ?? random() < (layout.title === 'DRIVING LICENCE' ? 0.25 : 0.55);
  const background = [
    `<defs><linearGradient id="paper" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colours.paper[0]}"/>`,
    `<stop offset="1" stop-color="${colours.paper[1]}"/></linearGradient></defs>`,
    `<rect width="${width}" height="${height}" rx="28" fill="url(#paper)"/>`,
    waveLines(random, { left: 0, top: 0, width, height }, 46, colours.guilloche, 0.35),
    rosette(
      random,
      between(random, 0.55, 0.8) * width,
      between(random, 0.35, 0.6) * height,
      between(random, 140, 230),
      colours.guilloche,
      0.45,
    ),
    rosette(random, between(random, 0.1, 0.3) * width, between(random, 0.7, 0.9) * height, between(random, 70, 130), colours.accent, 0.35),
    `<rect width="${width}" height="64" fill="${colours.accent}" opacity="0.9"/>`,
  ].join('');
  const base = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${background}</svg>`);

  const portrait = await printedPortrait(
    photo,
    options.portraitCrop ?? defaultCrop(...(await sizeOf(photo))),
    layout.portrait,
    grayscale,
    random,
  );
  const composites: OverlayOptions[] = [{ input: portrait, left: layout.portrait.left, top: layout.portrait.top }];
  if (layout.ghost) {
    const ghost = await sharp(portrait)
      .resize(layout.ghost.width, layout.ghost.height)
      .grayscale()
      .ensureAlpha(0.3)
      .png(FAST_PNG)
      .toBuffer();
    composites.push({ input: ghost, left: layout.ghost.left, top: layout.ghost.top });
  }

  const overlay: string[] = [
    text(30, 44, 30, layout.title, `font-weight="bold" fill="#ffffff"`),
    text(width - 30, 44, 26, `${COUNTRY} · ${COUNTRY_CODE}`, `font-weight="bold" fill="#ffffff" text-anchor="end"`),
    // Security lines printed across part of the portrait, as real documents do.
    waveLines(
      random,
      { ...layout.portrait, top: layout.portrait.top + layout.portrait.height * 0.55, height: layout.portrait.height * 0.45 },
      8,
      colours.guilloche,
      0.4,
    ),
    text(
      width - 30,
      height - (layout.mrzBox ? layout.mrzBox.height + 8 : 20),
      18,
      'SPECIMEN',
      `fill="${colours.accent}" text-anchor="end" opacity="0.7"`,
    ),
  ];
  for (const field of layout.fields(p)) {
    const numbered = /^\d/.test(field.label);
    if (numbered) {
      overlay.push(text(field.x, field.y, 17, field.label, `fill="${colours.accent}"`));
      overlay.push(text(field.x + 42, field.y, 25, field.value, `font-weight="bold" fill="${colours.ink}"`));
    } else {
      overlay.push(text(field.x, field.y - 26, 15, field.label, `fill="${colours.accent}"`));
      overlay.push(text(field.x, field.y, 25, field.value, `font-weight="bold" fill="${colours.ink}"`));
    }
  }
  if (mrz && layout.mrzBox) {
    const box = layout.mrzBox;
    const characters = mrz[0]!.length;
    const size = Math.min(box.width / characters / MONO_ADVANCE, (box.height / mrz.length) * 0.82);
    overlay.push(
      `<rect x="${box.left - 10}" y="${box.top}" width="${box.width + 20}" height="${box.height}" fill="#ffffff" opacity="0.55"/>`,
    );
    mrz.forEach((line, i) => {
      const y = box.top + (box.height / mrz.length) * (i + 0.78);
      overlay.push(
        `<text x="${box.left}" y="${y.toFixed(1)}" font-family="${MONO}" font-size="${size.toFixed(1)}" fill="#101010">` +
          `${escapeXml(line)}</text>`,
      );
    });
  }
  composites.push({
    input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${overlay.join('')}</svg>`),
  });
  const document = await sharp(base).composite(composites).png(FAST_PNG).toBuffer();
  // Round the corners again: the portrait and overlay are drawn over the rounded paper.
  const mask = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" rx="28"/></svg>`,
  );
  return sharp(document)
    .composite([{ input: mask, blend: 'dest-in' }])
    .png(FAST_PNG)
    .toBuffer();
}

async function sizeOf(photo: Buffer): Promise<[number, number]> {
  const meta = await sharp(photo).rotate().metadata();
  return [meta.autoOrient?.width ?? meta.width ?? 0, meta.autoOrient?.height ?? meta.height ?? 0];
}

/** The document photographed on a table: tilted, slightly sheared, unevenly lit, with a glare spot, then JPEG. */
async function photograph(
  document: Buffer,
  outputWidth: number,
  random: Random,
): Promise<{ image: Buffer; width: number; height: number }> {
  const angle = (between(random, -8, 8) * Math.PI) / 180;
  const shear = between(random, -0.05, 0.05);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const tilted = await sharp(document)
    .affine(
      [
        [cos, -sin + shear],
        [sin, cos],
      ],
      { background: { r: 0, g: 0, b: 0, alpha: 0 }, interpolator: 'bilinear' },
    )
    .png(FAST_PNG)
    .toBuffer({ resolveWithObject: true });
  // The document fills 82-95% of the frame's width.
  const fill = between(random, 0.82, 0.95);
  const sceneWidth = Math.round(tilted.info.width / fill);
  const sceneHeight = Math.round(tilted.info.height + (sceneWidth - tilted.info.width) * between(random, 0.6, 1.2));
  const hue = Math.floor(between(random, 15, 45));
  const table = `hsl(${hue},${Math.floor(between(random, 10, 40))}%,${Math.floor(between(random, 25, 70))}%)`;
  const left = Math.round(between(random, 0.2, 0.8) * (sceneWidth - tilted.info.width));
  const top = Math.round(between(random, 0.2, 0.8) * (sceneHeight - tilted.info.height));
  const glare = {
    x: between(random, 0.1, 0.9) * sceneWidth,
    y: between(random, 0.1, 0.9) * sceneHeight,
    rx: between(random, 0.1, 0.3) * sceneWidth,
    ry: between(random, 0.06, 0.18) * sceneHeight,
    opacity: between(random, 0.3, 0.75),
  };
  const light = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${sceneWidth}" height="${sceneHeight}"><defs>`,
    `<radialGradient id="glare"><stop offset="0" stop-color="#ffffff" stop-opacity="${glare.opacity.toFixed(2)}"/>`,
    `<stop offset="1" stop-color="#ffffff" stop-opacity="0"/></radialGradient>`,
    `<linearGradient id="shade" x1="${random().toFixed(2)}" y1="0" x2="${random().toFixed(2)}" y2="1">`,
    `<stop offset="0" stop-color="#000000" stop-opacity="0"/>`,
    `<stop offset="1" stop-color="#000000" stop-opacity="${between(random, 0.05, 0.3).toFixed(2)}"/>`,
    `</linearGradient></defs><rect width="${sceneWidth}" height="${sceneHeight}" fill="url(#shade)"/>`,
    `<ellipse cx="${glare.x.toFixed(0)}" cy="${glare.y.toFixed(0)}" rx="${glare.rx.toFixed(0)}" ry="${glare.ry.toFixed(0)}"`,
    ` fill="url(#glare)"/></svg>`,
  ].join('');
  const scene = await sharp({ create: { width: sceneWidth, height: sceneHeight, channels: 3, background: table } })
    .composite([{ input: tilted.data, left, top }, { input: Buffer.from(light) }])
    .png(FAST_PNG)
    .toBuffer();
  const blur = random() < 0.5 ? between(random, 0.3, 1.1) : 0;
  let camera = sharp(scene).resize({ width: outputWidth });
  if (blur >= 0.3) camera = camera.blur(blur);
  const { data, info } = await camera
    .modulate({ brightness: between(random, 0.85, 1.1), saturation: between(random, 0.8, 1.1) })
    .jpeg({ quality: Math.round(between(random, 55, 90)) })
    .toBuffer({ resolveWithObject: true });
  return { image: data, width: info.width, height: info.height };
}

/**
 * The portrait crop around a detected face (pixels of the upright photo), in ICAO's frame: the face about half the
 * portrait's width, eyes a little above the middle, 35:45.
 */
export function headAndShoulders(face: CropBox, width: number, height: number): CropBox {
  const cropWidth = Math.min(width, face.width * 2);
  const cropHeight = Math.min(height, (cropWidth * 45) / 35);
  const centreX = face.left + face.width / 2;
  const left = Math.min(Math.max(0, centreX - cropWidth / 2), width - cropWidth);
  const top = Math.min(Math.max(0, face.top - face.height * 0.45), height - cropHeight);
  return { left, top, width: cropWidth, height: cropHeight };
}

/** A photo of a synthetic identity document carrying `portraitPhoto` (JPEG or PNG bytes). */
export async function makeIdCard(portraitPhoto: Buffer, options: IdCardOptions): Promise<IdCard> {
  if (options.dateOfExpiry !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.dateOfExpiry)) {
    throw new Error(`dateOfExpiry must be YYYY-MM-DD, got '${options.dateOfExpiry}'`);
  }
  const random = randomFrom(options.seed);
  const layoutName = options.layout ?? pick(random, DOCUMENT_LAYOUTS);
  const layout = LAYOUTS[layoutName];
  const holder = person(random, options.dateOfExpiry);
  const mrz = layout.mrz ? layout.mrz(holder) : null;
  const document = await renderDocument(portraitPhoto, layout, holder, mrz, options, random);
  const photo = await photograph(document, options.width ?? 1100, random);
  return {
    ...photo,
    fields: {
      layout: layoutName,
      documentType: layout.title,
      issuingCountry: COUNTRY,
      issuingCountryCode: COUNTRY_CODE,
      surname: holder.surname,
      givenNames: holder.givenNames,
      documentNumber: holder.documentNumber,
      dateOfBirth: holder.dateOfBirth,
      sex: holder.sex,
      dateOfIssue: holder.dateOfIssue,
      dateOfExpiry: holder.dateOfExpiry,
      mrz,
    },
  };
}

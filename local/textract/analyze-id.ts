/**
 * Textract's AnalyzeID, locally: `DocumentPages` (1 or 2 pages, each `{ Bytes }` or `{ S3Object }`) in, one
 * IdentityDocument per page out, with Textract's limits and refusals: at most 10 MB a page (Bytes beyond it break the
 * model's length constraint, a ValidationException; an S3 object beyond it is DocumentTooLargeException); JPEG, PNG
 * and TIFF are read, anything else is UnsupportedDocumentException; bytes that do not decode are
 * BadDocumentException; an S3 object that cannot be read is InvalidS3ObjectException.
 *
 * Each page (at most 1,200 px wide) is levelled first, by the tilt its text lines show (./deskew.ts), then read by OCR
 * as a whole for its lines of text, wherever they are. When some of them look like a machine-readable zone whose
 * check digits disagree, that band alone is read again with the MRZ alphabet, at other scales until they agree.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { AnalysisLimiter } from '../rekognition/server/analysis-limiter';
import { imageFrom, type ImageInput, type ImageSource } from '../rekognition/server/image-source';
import { AwsError } from '../aws/errors';
import type { OperationTable } from '../aws/json-protocol';
import { RequestReader } from '../aws/request-reader';
import { estimateTilt } from './deskew';
import { documentType, identityDocumentFields } from './identity-document';
import { findMrzBand, readMrzLines, type MachineReadableZone } from './mrz';
import { ResultsByBytes } from '../aws/results-by-bytes';
import type { Box, TextLine, TextReader } from './text-reader';

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
export const MAX_PAGES = 2;
/** Pages are read at this width or less: wider photos cost OCR time without adding legible text. */
const PAGE_WIDTH = 1200;
/** Character heights (px) at which the MRZ band is read, in turn until its check digits agree. */
const MRZ_TEXT_HEIGHTS = [24, 32, 20];

const SIGNATURES: [string, number[]][] = [
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['png', [0x89, 0x50, 0x4e, 0x47]],
  ['tiff', [0x49, 0x49, 0x2a, 0x00]],
  ['tiff', [0x4d, 0x4d, 0x00, 0x2a]],
];

function readDocumentPages(body: Record<string, unknown>): ImageInput[] {
  const reader = RequestReader.of(body);
  const pages = reader.structureList('DocumentPages', { required: true, minLength: 1, maxLength: MAX_PAGES }) ?? [];
  const inputs = pages.map((page, index) => imageFrom(page, `DocumentPages.${index + 1}`, MAX_DOCUMENT_BYTES));
  reader.finish();
  return inputs;
}

/** The page as a grayscale PNG no wider than PAGE_WIDTH, upright as its EXIF says and levelled. */
async function preparePage(bytes: Buffer): Promise<{ png: Buffer; width: number; height: number }> {
  if (!SIGNATURES.some(([, signature]) => signature.every((byte, index) => bytes[index] === byte))) {
    throw new AwsError('UnsupportedDocumentException', 'Request has unsupported document format');
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: 10000 * 10000 })
      .rotate()
      .grayscale()
      .resize({ width: PAGE_WIDTH, withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 1 as const } };
    const tilt = await estimateTilt(await sharp(data, raw).png().toBuffer());
    // The corners the rotation uncovers take the page's mean grey: white ones would skew tesseract's global threshold
    // and turn a mid-grey card on a table black.
    const mean = Math.round(data.reduce((sum, value) => sum + value, 0) / data.length);
    const level = await sharp(data, raw)
      .rotate(tilt, { background: { r: mean, g: mean, b: mean } })
      .extractChannel(0)
      .png()
      .toBuffer({ resolveWithObject: true });
    return { png: level.data, width: level.info.width, height: level.info.height };
  } catch {
    throw new AwsError('BadDocumentException', 'Unable to read the document');
  }
}

async function readZone(reader: TextReader, page: { png: Buffer; width: number; height: number }, lines: TextLine[], now: Date) {
  const found = findMrzBand(lines, page);
  if (!found) return undefined;
  // The page reading is often right already; the check digits say so.
  const fromPage = readMrzLines(
    found.lines.map((line) => line.text),
    now,
  );
  if (fromPage) return { zone: fromPage, confidence: Math.min(...found.lines.map((line) => line.confidence)) };
  for (const textHeight of MRZ_TEXT_HEIGHTS) {
    const reading = await reader.readMrz(page.png, found.band, found.textHeight, textHeight);
    const zone: MachineReadableZone | undefined = readMrzLines(reading.lines, now);
    if (zone) return { zone, confidence: reading.confidence };
  }
  return undefined;
}

/** Horizontal strips a page is read in when its reading finds no document: each strip's height, and its step. */
const STRIP_HEIGHT = 0.2;
const STRIP_STEP = 0.1;

const overlaps = (a: Box, b: Box) =>
  a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

/**
 * The page's lines with those that reading it in overlapping horizontal strips adds: a document's title is often
 * printed light on a dark band, which tesseract's sparse reading of a whole page skips or reads in part. A strip's
 * line replaces the lines it overlaps when it names a document and they do not.
 */
async function withStripLines(reader: TextReader, page: { png: Buffer; width: number; height: number }, read: TextLine[]) {
  let lines = [...read];
  const height = Math.max(1, Math.round(page.height * STRIP_HEIGHT));
  for (let top = 0; top < page.height - height / 2; top += Math.round(page.height * STRIP_STEP)) {
    const band = { left: 0, top, width: page.width, height: Math.min(height, page.height - top) };
    for (const line of await reader.readBand(page.png, band)) {
      const overlapped = lines.filter((known) => overlaps(known.box, line.box));
      if (overlapped.length === 0) lines.push(line);
      else if (documentType([line], undefined) && !documentType(overlapped, undefined)) {
        lines = [...lines.filter((known) => !overlapped.includes(known)), line];
      }
    }
  }
  return lines;
}

/** LINE blocks, as AnalyzeID returns the page's text besides its fields; geometry as fractions of the levelled page. */
function lineBlocks(lines: TextLine[], page: { width: number; height: number }) {
  return lines.map((line) => ({
    BlockType: 'LINE',
    Id: randomUUID(),
    Text: line.text,
    Confidence: line.confidence,
    Geometry: {
      BoundingBox: {
        Left: line.box.left / page.width,
        Top: line.box.top / page.height,
        Width: line.box.width / page.width,
        Height: line.box.height / page.height,
      },
    },
  }));
}

export function createAnalyzeIdOperation(options: {
  reader: TextReader;
  documents: ImageSource;
  limiter: AnalysisLimiter;
  now?: () => Date;
}): OperationTable {
  const { reader, documents, limiter, now = () => new Date() } = options;
  // One OCR run per page, kept a short while: the indexer and verify read one upload, and a caller retries after a timeout.
  const readings = new ResultsByBytes<{
    page: { width: number; height: number };
    lines: TextLine[];
    mrz: Awaited<ReturnType<typeof readZone>>;
  }>({ keepMs: 60_000, maxKept: 64 });
  return {
    AnalyzeID: async (body) => {
      const inputs = readDocumentPages(body);
      const pages = await Promise.all(inputs.map((input) => documents.load(input)));
      const identityDocuments = [];
      for (const [index, bytes] of pages.entries()) {
        const { page, lines, mrz } = await readings.get(bytes, async () => {
          const prepared = await preparePage(bytes);
          return limiter.run(async () => {
            const pageLines = await reader.readPage(prepared.png);
            const zone = await readZone(reader, prepared, pageLines, now());
            const read = zone || documentType(pageLines, undefined) ? pageLines : await withStripLines(reader, prepared, pageLines);
            return { page: { width: prepared.width, height: prepared.height }, lines: read, mrz: zone };
          });
        });
        identityDocuments.push({
          DocumentIndex: index + 1,
          IdentityDocumentFields: identityDocumentFields({ lines, ...(mrz ? { mrz } : {}) }),
          Blocks: lineBlocks(lines, page),
        });
      }
      return { IdentityDocuments: identityDocuments, DocumentMetadata: { Pages: pages.length }, AnalyzeIDModelVersion: '1.0' };
    },
  };
}

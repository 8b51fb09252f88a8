/**
 * Textract's AnalyzeID, locally: `DocumentPages` (1 or 2 pages, each `{ Bytes }` or `{ S3Object }`) in, one
 * IdentityDocument per page out, with Textract's limits and refusals: at most 10 MB a page (Bytes beyond it break the
 * model's length constraint, a ValidationException; an S3 object beyond it is DocumentTooLargeException); JPEG, PNG
 * and TIFF are read, anything else is UnsupportedDocumentException; bytes that do not decode are
 * BadDocumentException; an S3 object that cannot be read is InvalidS3ObjectException.
 *
 * Each page is read by OCR as a whole (at most 1,200 px wide) for its lines of text. When some of them look like a
 * machine-readable zone whose check digits disagree, that band alone is read again with the MRZ alphabet, at a
 * second scale if the first one's check digits disagree too.
 */
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import type { AnalysisLimiter } from '../rekognition/server/analysis-limiter';
import { imageFrom, type ImageInput, type ImageSource } from '../rekognition/server/image-source';
import { AwsError } from '../aws/errors';
import type { OperationTable } from '../aws/json-protocol';
import { RequestReader } from '../aws/request-reader';
import { identityDocumentFields } from './identity-document';
import { findMrzBand, readMrzLines, type MachineReadableZone } from './mrz';
import type { TextLine, TextReader } from './text-reader';

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
export const MAX_PAGES = 2;
/** Pages are read at this width or less: wider photos cost OCR time without adding legible text. */
const PAGE_WIDTH = 1200;
/** Character heights (px) at which the MRZ band is read: the first usually, the second when the first fails. */
const MRZ_TEXT_HEIGHTS = [24, 32];

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

/** The page as a grayscale PNG no wider than PAGE_WIDTH, upright as its EXIF says. */
async function preparePage(bytes: Buffer): Promise<{ png: Buffer; width: number; height: number }> {
  if (!SIGNATURES.some(([, signature]) => signature.every((byte, index) => bytes[index] === byte))) {
    throw new AwsError('UnsupportedDocumentException', 'Request has unsupported document format');
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: 10000 * 10000 })
      .rotate()
      .grayscale()
      .resize({ width: PAGE_WIDTH, withoutEnlargement: true })
      .png()
      .toBuffer({ resolveWithObject: true });
    return { png: data, width: info.width, height: info.height };
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

/** LINE blocks, as AnalyzeID returns the page's text besides its fields; geometry as fractions of the page. */
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
  return {
    AnalyzeID: async (body) => {
      const inputs = readDocumentPages(body);
      const pages = await Promise.all(inputs.map((input) => documents.load(input)));
      const identityDocuments = [];
      for (const [index, bytes] of pages.entries()) {
        const page = await preparePage(bytes);
        const document = await limiter.run(async () => {
          const lines = await reader.readPage(page.png);
          const mrz = await readZone(reader, page, lines, now());
          return {
            DocumentIndex: index + 1,
            IdentityDocumentFields: identityDocumentFields({ lines, ...(mrz ? { mrz } : {}) }),
            Blocks: lineBlocks(lines, page),
          };
        });
        identityDocuments.push(document);
      }
      return { IdentityDocuments: identityDocuments, DocumentMetadata: { Pages: pages.length }, AnalyzeIDModelVersion: '1.0' };
    },
  };
}

/**
 * OCR with tesseract.js, offline: the English LSTM model comes from the @tesseract.js-data/eng package in
 * node_modules and the wasm core from tesseract.js-core, so nothing is fetched, and with cacheMethod 'none' nothing
 * is written either. One worker reads one image at a time (callers queue through an AnalysisLimiter).
 *
 * Two kinds of reading: `readPage` finds every line of text on a page with its box and confidence; `readMrz` reads a
 * band of a page as machine-readable-zone text (only A-Z, 0-9 and '<'), scaled to the text height the model reads
 * best.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { createWorker, OEM, type Page, PSM, type Worker } from 'tesseract.js';

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface TextLine {
  text: string;
  /** 0-100, tesseract's. */
  confidence: number;
  box: Box;
}

const MRZ_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<';

/** The model that @tesseract.js-data/eng ships for the LSTM engine (the integer-quantised "best" one). */
function englishModelDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

/** The non-empty lines of a recognition, with their boxes on the image read. */
function linesOf(data: Page): TextLine[] {
  return (data.blocks ?? [])
    .flatMap((block) => block.paragraphs.flatMap((paragraph) => paragraph.lines))
    .map((line) => ({
      text: line.text.trim(),
      confidence: line.confidence,
      box: { left: line.bbox.x0, top: line.bbox.y0, width: line.bbox.x1 - line.bbox.x0, height: line.bbox.y1 - line.bbox.y0 },
    }))
    .filter((line) => line.text.length > 0);
}

export class TextReader {
  private constructor(private readonly worker: Worker) {}

  static async create(): Promise<TextReader> {
    const worker = await createWorker('eng', OEM.LSTM_ONLY, { langPath: englishModelDirectory(), cacheMethod: 'none', gzip: true });
    // Tesseract's own diagnostics ("Detected 8 diacritics") would otherwise go to the server's stdout.
    await worker.setParameters({ debug_file: '/dev/null' });
    return new TextReader(worker);
  }

  /**
   * Every line of text on a (grayscale PNG) page, wherever it is (tesseract's sparse-text mode: a card's fields are
   * scattered among a portrait and guilloche, which its block layout often takes for one picture).
   */
  async readPage(page: Buffer): Promise<TextLine[]> {
    await this.worker.setParameters({ tessedit_pageseg_mode: PSM.SPARSE_TEXT, tessedit_char_whitelist: '' });
    const { data } = await this.worker.recognize(page, {}, { blocks: true, text: false });
    return linesOf(data);
  }

  /**
   * The lines of text in `band` of `page`, read as one block of text: on a narrow band this finds what the page's
   * sparse reading can miss, such as light text on a dark band. Boxes are on the page.
   */
  async readBand(page: Buffer, band: Box): Promise<TextLine[]> {
    const image = await sharp(page).extract(band).png().toBuffer();
    await this.worker.setParameters({ tessedit_pageseg_mode: PSM.SINGLE_BLOCK, tessedit_char_whitelist: '' });
    const { data } = await this.worker.recognize(image, {}, { blocks: true, text: false });
    return linesOf(data).map((line) => ({ ...line, box: { ...line.box, left: line.box.left + band.left, top: line.box.top + band.top } }));
  }

  /** The lines of MRZ text in `band` of `page`, read with the characters scaled to `textHeight` pixels. */
  async readMrz(page: Buffer, band: Box, currentTextHeight: number, textHeight: number): Promise<{ lines: string[]; confidence: number }> {
    const scale = textHeight / currentTextHeight;
    const image = await sharp(page)
      .extract(band)
      .resize({ width: Math.max(1, Math.round(band.width * scale)), kernel: 'lanczos3' })
      .png()
      .toBuffer();
    await this.worker.setParameters({ tessedit_pageseg_mode: PSM.SINGLE_BLOCK, tessedit_char_whitelist: MRZ_CHARACTERS });
    const { data } = await this.worker.recognize(image, {}, { text: true });
    const lines = data.text
      .split('\n')
      .map((line) => line.replace(/\s+/g, ''))
      .filter((line) => line.length > 0);
    return { lines, confidence: data.confidence };
  }

  close(): Promise<unknown> {
    return this.worker.terminate();
  }
}

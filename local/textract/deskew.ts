/**
 * The tilt of a photographed page, from its lines of text: rotated by the right angle, the dark pixels of printed
 * lines fall into few rows, so the rows' histogram is the most peaked (the projection-profile method). Tesseract's
 * layout analysis tolerates little skew, and an MRZ band is cut out of the page by its box, which must be upright.
 */
import sharp from 'sharp';

/** Pages are measured at this width: enough for text lines of 20 px or more, cheap to project. */
const MEASURE_WIDTH = 600;
/** Tilts searched, in degrees: a hand-held photo of a card on a table, not a page upside down. */
const MAX_TILT = 15;
const COARSE_STEP = 0.5;
const FINE_STEP = 0.1;
/** A pixel is ink when it is this much darker than its neighbourhood's mean (0-255). */
const INK_CONTRAST = 24;

/** Sum of squared row counts of the ink pixels projected at `degrees`: peaks when rows follow the text lines. */
function profileScore(ink: Int32Array, count: number, width: number, height: number, degrees: number): number {
  const radians = (degrees * Math.PI) / 180;
  const [sin, cos] = [Math.sin(radians), Math.cos(radians)];
  const offset = Math.ceil(width * Math.abs(sin));
  const rows = new Int32Array(height + 2 * offset + 2);
  for (let i = 0; i < count; i++) {
    const x = ink[2 * i]!;
    const y = ink[2 * i + 1]!;
    rows[Math.round(y * cos - x * sin) + offset]! += 1;
  }
  let score = 0;
  for (const row of rows) score += row * row;
  return score;
}

/** The page's tilt in degrees (positive: its lines rise to the right), 0 when it has too little text to tell. */
export async function estimateTilt(grayscalePage: Buffer): Promise<number> {
  const { data, info } = await sharp(grayscalePage)
    .resize({ width: MEASURE_WIDTH, withoutEnlargement: true })
    .extractChannel(0)
    .raw()
    .toBuffer({
      resolveWithObject: true,
    });
  const { width, height } = info;
  const mean = await sharp(data, { raw: { width, height, channels: 1 } })
    .blur(6)
    .extractChannel(0)
    .raw()
    .toBuffer();
  const ink = new Int32Array(2 * data.length);
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mean[i]! - data[i]! >= INK_CONTRAST) {
        ink[2 * count] = x;
        ink[2 * count + 1] = height - 1 - y;
        count += 1;
      }
    }
  }
  if (count < width) return 0;
  const best = (from: number, to: number, step: number) => {
    let top = { degrees: 0, score: -1 };
    for (let degrees = from; degrees <= to + 1e-9; degrees += step) {
      const score = profileScore(ink, count, width, height, degrees);
      if (score > top.score) top = { degrees, score };
    }
    return top.degrees;
  };
  const coarse = best(-MAX_TILT, MAX_TILT, COARSE_STEP);
  return Math.round(best(coarse - COARSE_STEP, coarse + COARSE_STEP, FINE_STEP) * 10) / 10;
}

/** Face detection with the Ultra-Light 320x240 detector (fr_detect.onnx). */
import sharp from 'sharp';
import type { InferenceSession } from 'onnxruntime-node';
import type { RgbImage } from './decode';
import { runModel } from './models';

const INPUT_WIDTH = 320;
const INPUT_HEIGHT = 240;
/** Score and overlap settings that worked on real photos (see /work/shared/notes/face-engine-facts.md). */
const DETECTION_THRESHOLD = 0.7;
const NMS_IOU = 0.4;

/** A face box in source pixels, corners. */
export interface PixelBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

function area(box: PixelBox): number {
  return Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1);
}

function iou(p: PixelBox, q: PixelBox): number {
  const w = Math.min(p.x2, q.x2) - Math.max(p.x1, q.x1);
  const h = Math.min(p.y2, q.y2) - Math.max(p.y1, q.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (area(p) + area(q) - inter);
}

/** Greedy non-maximum suppression, best score first. */
function suppressOverlaps(boxes: PixelBox[]): PixelBox[] {
  const kept: PixelBox[] = [];
  for (const box of [...boxes].sort((p, q) => q.score - p.score)) {
    if (kept.every((other) => iou(box, other) < NMS_IOU)) kept.push(box);
  }
  return kept;
}

/**
 * Detects faces in the whole image, shrunk keeping its aspect into the top-left of the 320x240 input, the rest
 * left at the normalised zero. Measured: faces down to 40 px in a 1600 px photo are found in this one pass, smaller
 * than recognition can use (see README), so there is no second pass on tiles.
 */
export async function detectFaces(session: InferenceSession, image: RgbImage): Promise<PixelBox[]> {
  const scale = Math.min(INPUT_WIDTH / image.width, INPUT_HEIGHT / image.height);
  const fitWidth = Math.max(1, Math.min(INPUT_WIDTH, Math.round(image.width * scale)));
  const fitHeight = Math.max(1, Math.min(INPUT_HEIGHT, Math.round(image.height * scale)));
  const resized = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(fitWidth, fitHeight, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  const plane = INPUT_WIDTH * INPUT_HEIGHT;
  const input = new Float32Array(3 * plane);
  for (let y = 0; y < fitHeight; y++) {
    for (let x = 0; x < fitWidth; x++) {
      const p = (y * fitWidth + x) * 3;
      const o = y * INPUT_WIDTH + x;
      input[o] = (resized[p]! - 127) / 128;
      input[plane + o] = (resized[p + 1]! - 127) / 128;
      input[2 * plane + o] = (resized[p + 2]! - 127) / 128;
    }
  }
  const { scores, boxes } = await runModel(session, input, [1, 3, INPUT_HEIGHT, INPUT_WIDTH]);
  if (!scores || !boxes) throw new Error('fr_detect.onnx did not return scores and boxes');
  // Boxes are corners in ratios of the 320x240 input; map them back through the fit into source pixels.
  const sx = (INPUT_WIDTH * image.width) / fitWidth;
  const sy = (INPUT_HEIGHT * image.height) / fitHeight;
  const found: PixelBox[] = [];
  for (let i = 0; i < scores.length / 2; i++) {
    const score = scores[i * 2 + 1]!;
    if (score < DETECTION_THRESHOLD) continue;
    found.push({
      x1: boxes[i * 4]! * sx,
      y1: boxes[i * 4 + 1]! * sy,
      x2: boxes[i * 4 + 2]! * sx,
      y2: boxes[i * 4 + 3]! * sy,
      score,
    });
  }
  return suppressOverlaps(found.filter((box) => area(box) > 0));
}

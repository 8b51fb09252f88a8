/** Face detection with the Ultra-Light 320x240 detector (fr_detect.onnx). */
import sharp from 'sharp';
import type { InferenceSession } from 'onnxruntime-node';
import type { RgbImage } from './decode';
import { runModel } from './models';

const INPUT_WIDTH = 320;
const INPUT_HEIGHT = 240;
/** Score and overlap settings that worked on real photos (see the engine README). */
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

/** A rectangle of the source image, in pixels. */
interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Runs the detector on one region, shrunk (or enlarged) keeping its aspect into the top-left of the 320x240 input;
 * `stretch` spreads the region's levels over 0-255 first.
 */
async function detectInRegion(session: InferenceSession, image: RgbImage, region: Region, { stretch = false } = {}): Promise<PixelBox[]> {
  const scale = Math.min(INPUT_WIDTH / region.width, INPUT_HEIGHT / region.height);
  const fitWidth = Math.max(1, Math.min(INPUT_WIDTH, Math.round(region.width * scale)));
  const fitHeight = Math.max(1, Math.min(INPUT_HEIGHT, Math.round(region.height * scale)));
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (region.width < image.width || region.height < image.height) pipeline = pipeline.extract(region);
  pipeline = pipeline.resize(fitWidth, fitHeight, { fit: 'fill', kernel: 'linear' });
  const resized = await (stretch ? pipeline.normalise() : pipeline).raw().toBuffer();
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
  const sx = (INPUT_WIDTH * region.width) / fitWidth;
  const sy = (INPUT_HEIGHT * region.height) / fitHeight;
  const found: PixelBox[] = [];
  for (let i = 0; i < scores.length / 2; i++) {
    const score = scores[i * 2 + 1]!;
    if (score < DETECTION_THRESHOLD) continue;
    found.push({
      x1: region.left + boxes[i * 4]! * sx,
      y1: region.top + boxes[i * 4 + 1]! * sy,
      x2: region.left + boxes[i * 4 + 2]! * sx,
      y2: region.top + boxes[i * 4 + 3]! * sy,
      score,
    });
  }
  return found.filter((box) => area(box) > 0);
}

/** Tiles of the second pass: 2 x 2, each this share of the image's sides, so neighbours overlap by a fifth. */
const TILE_SHARE = 0.6;
/**
 * A face whose side is under this many detector-input pixels in the first pass is small enough that the detector
 * may have missed its neighbours or boxed it loosely (a printed portrait on a photographed ID card).
 */
const SMALL_FACE_INPUT_PX = 40;
/** Tiles only pay when the first pass shrank the image by more than this: otherwise they see no more detail. */
const MIN_SHRINK_FOR_TILES = 1.5;

/** A box cut by a tile edge that is inside the image: a part of a face, which the neighbouring tile holds whole. */
function touchesInnerEdge(box: PixelBox, tile: Region, image: RgbImage): boolean {
  const margin = 2;
  return (
    (tile.left > 0 && box.x1 <= tile.left + margin) ||
    (tile.top > 0 && box.y1 <= tile.top + margin) ||
    (tile.left + tile.width < image.width && box.x2 >= tile.left + tile.width - margin) ||
    (tile.top + tile.height < image.height && box.y2 >= tile.top + tile.height - margin)
  );
}

function tiles(image: RgbImage): Region[] {
  const width = Math.round(image.width * TILE_SHARE);
  const height = Math.round(image.height * TILE_SHARE);
  const regions: Region[] = [];
  for (const top of [0, image.height - height]) {
    for (const left of [0, image.width - width]) regions.push({ left, top, width, height });
  }
  return regions;
}

/** The context around a face when it is detected again on its own: the box's longer side times this. */
const CONFIRM_CONTEXT = 2.5;
/** A second look agrees when it finds a box overlapping the first by at least this much. */
const CONFIRM_IOU = 0.5;

/**
 * Detects the face again in a square around it, seen closer up. Texture that the whole-image pass takes for a face
 * (guilloche and text on an identity document) rarely survives the change of scale; a face does.
 */
async function confirmed(session: InferenceSession, image: RgbImage, box: PixelBox): Promise<boolean> {
  // A face cut by the image's edge (the selfie-taker's, in a group photo) has no context on that side to be seen
  // again in; it is kept as found.
  const margin = 2;
  if (box.x1 <= margin || box.y1 <= margin || box.x2 >= image.width - margin || box.y2 >= image.height - margin) return true;
  const side = Math.min(image.width, image.height, CONFIRM_CONTEXT * Math.max(box.x2 - box.x1, box.y2 - box.y1));
  const centreX = (box.x1 + box.x2) / 2;
  const centreY = (box.y1 + box.y2) / 2;
  const left = Math.round(Math.min(Math.max(0, centreX - side / 2), image.width - side));
  const top = Math.round(Math.min(Math.max(0, centreY - side / 2), image.height - side));
  const region = { left, top, width: Math.round(side), height: Math.round(side) };
  return (await detectInRegion(session, image, region)).some((again) => iou(again, box) >= CONFIRM_IOU);
}

/**
 * Detects faces in the whole image. When that finds none, or only faces small in the detector's input, a second
 * pass runs with the levels stretched (a printed portrait under glare is faint), on the whole image and, when the
 * image is well over the detector's input size, on four overlapping tiles at about 1.7 times the resolution. Its
 * boxes join the first pass's before the overlap suppression. Largest first; with several, the largest is confirmed.
 */
export async function detectFaces(session: InferenceSession, image: RgbImage): Promise<PixelBox[]> {
  const whole = { left: 0, top: 0, width: image.width, height: image.height };
  const found = await detectInRegion(session, image, whole);
  const scale = Math.min(INPUT_WIDTH / image.width, INPUT_HEIGHT / image.height);
  const largestSide = Math.max(0, ...found.map((box) => Math.min(box.x2 - box.x1, box.y2 - box.y1)));
  if (largestSide * scale < SMALL_FACE_INPUT_PX) {
    found.push(...(await detectInRegion(session, image, whole, { stretch: true })));
    if (1 / scale > MIN_SHRINK_FOR_TILES) {
      for (const tile of tiles(image)) {
        found.push(...(await detectInRegion(session, image, tile, { stretch: true })).filter((box) => !touchesInnerEdge(box, tile, image)));
      }
    }
  }
  const faces = suppressOverlaps(found).sort((p, q) => area(q) - area(p));
  // With several faces, which is "the" face (the largest, as CompareFaces takes it) matters: it must hold up to a
  // second look, else it is dropped and the next largest is looked at. Smaller faces are kept as found.
  while (faces.length > 1 && !(await confirmed(session, image, faces[0]!))) faces.shift();
  return faces;
}

/** Affine resampling of RGB pixels: crops, resizes and face alignment all go through one sampler. */
import type { RgbImage } from './decode';

/** Maps an output pixel (x, y) to a source position: u = a x + b y + tx, v = c x + d y + ty. */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  tx: number;
  ty: number;
}

export interface Point {
  x: number;
  y: number;
}

/** The affine that maps the square output [0, size) onto the source square with top-left (left, top) and side `side`. */
export function squareCrop(left: number, top: number, side: number, size: number): Affine {
  const scale = side / size;
  // Pixel centres: output centre (x + 0.5) lands on source centre (u + 0.5).
  return { a: scale, b: 0, c: 0, d: scale, tx: left + 0.5 * scale - 0.5, ty: top + 0.5 * scale - 0.5 };
}

/**
 * Samples `image` through `toSource` into a width x height interleaved RGB Float32Array (0-255).
 * Minification averages an n x n grid of bilinear samples per output pixel (n ~ the scale factor), so a
 * large face shrunk to 112 px does not alias. Outside the source reads as black, as OpenCV's warpAffine does.
 */
export function warpRgb(image: RgbImage, toSource: Affine, width: number, height: number): Float32Array {
  const { data, width: sw, height: sh } = image;
  const { a, b, c, d, tx, ty } = toSource;
  const scale = Math.max(Math.hypot(a, c), Math.hypot(b, d));
  const n = Math.min(8, Math.max(1, Math.ceil(scale - 0.25)));
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) offsets.push((i + 0.5) / n - 0.5);
  const weight = 1 / (n * n);
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (const oy of offsets) {
        for (const ox of offsets) {
          const u = a * (x + ox) + b * (y + oy) + tx;
          const v = c * (x + ox) + d * (y + oy) + ty;
          const x0 = Math.floor(u);
          const y0 = Math.floor(v);
          const fx = u - x0;
          const fy = v - y0;
          for (let j = 0; j < 2; j++) {
            const yy = y0 + j;
            if (yy < 0 || yy >= sh) continue;
            const wy = j === 0 ? 1 - fy : fy;
            for (let i = 0; i < 2; i++) {
              const xx = x0 + i;
              if (xx < 0 || xx >= sw) continue;
              const w = wy * (i === 0 ? 1 - fx : fx);
              const p = (yy * sw + xx) * 3;
              r += w * data[p]!;
              g += w * data[p + 1]!;
              bl += w * data[p + 2]!;
            }
          }
        }
      }
      const o = (y * width + x) * 3;
      out[o] = r * weight;
      out[o + 1] = g * weight;
      out[o + 2] = bl * weight;
    }
  }
  return out;
}

/**
 * Interleaved RGB (0-255) to a planar 1x3xHxW tensor buffer, each value mapped through `normalise`; planes in RGB
 * order, or BGR for models trained on images read by OpenCV.
 */
export function toPlanar(rgb: Float32Array, normalise: (value: number) => number, order: 'rgb' | 'bgr' = 'rgb'): Float32Array {
  const pixels = rgb.length / 3;
  const planar = new Float32Array(rgb.length);
  const [red, blue] = order === 'rgb' ? [0, 2 * pixels] : [2 * pixels, 0];
  for (let i = 0; i < pixels; i++) {
    planar[red + i] = normalise(rgb[i * 3]!);
    planar[pixels + i] = normalise(rgb[i * 3 + 1]!);
    planar[blue + i] = normalise(rgb[i * 3 + 2]!);
  }
  return planar;
}

/** Rec. 601 luma of interleaved RGB (0-255). */
export function toLuma(rgb: Float32Array): Float32Array {
  const luma = new Float32Array(rgb.length / 3);
  for (let i = 0; i < luma.length; i++) {
    luma[i] = 0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!;
  }
  return luma;
}

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; never a reflection) taking
 * `from` onto `to`: Umeyama's method, which in 2-D has this closed form. Returns the forward map.
 */
export function similarityTransform(from: readonly Point[], to: readonly Point[]): Affine {
  if (from.length !== to.length || from.length < 2) throw new Error('similarityTransform needs two equal lists of at least 2 points');
  const count = from.length;
  const mean = (pts: readonly Point[]): Point => ({
    x: pts.reduce((s, p) => s + p.x, 0) / count,
    y: pts.reduce((s, p) => s + p.y, 0) / count,
  });
  const mf = mean(from);
  const mt = mean(to);
  let dot = 0;
  let cross = 0;
  let variance = 0;
  for (let i = 0; i < count; i++) {
    const px = from[i]!.x - mf.x;
    const py = from[i]!.y - mf.y;
    const qx = to[i]!.x - mt.x;
    const qy = to[i]!.y - mt.y;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    variance += px * px + py * py;
  }
  if (variance === 0) throw new Error('similarityTransform: source points coincide');
  const sc = dot / variance;
  const ss = cross / variance;
  return { a: sc, b: -ss, c: ss, d: sc, tx: mt.x - (sc * mf.x - ss * mf.y), ty: mt.y - (ss * mf.x + sc * mf.y) };
}

export function invertAffine(m: Affine): Affine {
  const det = m.a * m.d - m.b * m.c;
  if (det === 0) throw new Error('affine transform is singular');
  const a = m.d / det;
  const b = -m.b / det;
  const c = -m.c / det;
  const d = m.a / det;
  return { a, b, c, d, tx: -(a * m.tx + b * m.ty), ty: -(c * m.tx + d * m.ty) };
}

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
  const { a, b, c, d } = toSource;
  const scale = Math.max(Math.hypot(a, c), Math.hypot(b, d));
  const n = Math.min(8, Math.max(1, Math.ceil(scale - 0.25)));
  const offsets = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n - 0.5);
  return b === 0 && c === 0
    ? warpAxisAligned(image, toSource, width, height, offsets)
    : warpRotated(image, toSource, width, height, offsets);
}

/** The source pixels one output row (or column) reads, and their weights: sample offsets and bilinear taps merged. */
interface Taps {
  /** Where output k's taps start in `index` and `weight`; output k's end where k + 1's start. */
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

/** Taps along one axis of an axis-aligned map, source = scale * (k + offset) + shift; taps outside 0..size-1 dropped. */
function axisTaps(count: number, scale: number, shift: number, offsets: Float64Array, size: number): Taps {
  const n = offsets.length;
  const start = new Int32Array(count + 1);
  const index = new Int32Array(count * n * 2);
  const weight = new Float64Array(count * n * 2);
  let taps = 0;
  const add = (k: number, pixel: number, share: number) => {
    if (pixel < 0 || pixel >= size) return;
    // Neighbouring samples often read the same pixel: one tap, the weights summed.
    if (taps > start[k]! && index[taps - 1] === pixel) weight[taps - 1]! += share / n;
    else {
      index[taps] = pixel;
      weight[taps++] = share / n;
    }
  };
  for (let k = 0; k < count; k++) {
    start[k] = taps;
    for (let s = 0; s < n; s++) {
      const position = scale * (k + offsets[s]!) + shift;
      const low = Math.floor(position);
      add(k, low, 1 - (position - low));
      add(k, low + 1, position - low);
    }
  }
  start[count] = taps;
  return { start, index, weight };
}

/**
 * A crop and resize (no rotation): the same samples as the general warp, summed one axis at a time. The context
 * crop of the anti-spoof model reads about 16 samples per output pixel, so this is several times cheaper.
 */
function warpAxisAligned(image: RgbImage, { a, d, tx, ty }: Affine, width: number, height: number, offsets: Float64Array): Float32Array {
  const { data, width: sw, height: sh } = image;
  const columns = axisTaps(width, a, tx, offsets, sw);
  const rows = axisTaps(height, d, ty, offsets, sh);
  // Rows read by any output row: a contiguous band, as the map is monotonic.
  let first = sh;
  let last = -1;
  for (let t = 0; t < rows.start[height]!; t++) {
    first = Math.min(first, rows.index[t]!);
    last = Math.max(last, rows.index[t]!);
  }
  const out = new Float32Array(width * height * 3);
  if (last < first) return out;
  // Each band row resampled along x.
  const band = new Float64Array((last - first + 1) * width * 3);
  for (let row = first; row <= last; row++) {
    const from = row * sw * 3;
    const to = (row - first) * width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let t = columns.start[x]!; t < columns.start[x + 1]!; t++) {
        const p = from + columns.index[t]! * 3;
        const w = columns.weight[t]!;
        r += w * data[p]!;
        g += w * data[p + 1]!;
        bl += w * data[p + 2]!;
      }
      band[to + x * 3] = r;
      band[to + x * 3 + 1] = g;
      band[to + x * 3 + 2] = bl;
    }
  }
  // Then along y.
  for (let y = 0; y < height; y++) {
    const to = y * width * 3;
    for (let t = rows.start[y]!; t < rows.start[y + 1]!; t++) {
      const from = (rows.index[t]! - first) * width * 3;
      const w = rows.weight[t]!;
      for (let i = 0; i < width * 3; i++) out[to + i]! += w * band[from + i]!;
    }
  }
  return out;
}

function warpRotated(image: RgbImage, { a, b, c, d, tx, ty }: Affine, width: number, height: number, offsets: Float64Array): Float32Array {
  const { data, width: sw, height: sh } = image;
  const n = offsets.length;
  const weight = 1 / (n * n);
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let sy = 0; sy < n; sy++) {
        const py = y + offsets[sy]!;
        for (let sx = 0; sx < n; sx++) {
          const px = x + offsets[sx]!;
          const u = a * px + b * py + tx;
          const v = c * px + d * py + ty;
          const x0 = Math.floor(u);
          const y0 = Math.floor(v);
          const fx = u - x0;
          const fy = v - y0;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh) {
            // All four taps inside: the common case, without the edge checks.
            const p = (y0 * sw + x0) * 3;
            const q = p + sw * 3;
            const w00 = (1 - fx) * (1 - fy);
            const w01 = fx * (1 - fy);
            const w10 = (1 - fx) * fy;
            const w11 = fx * fy;
            r += w00 * data[p]! + w01 * data[p + 3]! + w10 * data[q]! + w11 * data[q + 3]!;
            g += w00 * data[p + 1]! + w01 * data[p + 4]! + w10 * data[q + 1]! + w11 * data[q + 4]!;
            bl += w00 * data[p + 2]! + w01 * data[p + 5]! + w10 * data[q + 2]! + w11 * data[q + 5]!;
            continue;
          }
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

import { describe, expect, it } from '@jest/globals';
import type { RgbImage } from '../../local/rekognition/engine/decode';
import { type Affine, squareCrop, warpRgb } from '../../local/rekognition/engine/warp';

/** A w x h image whose pixel (x, y) is (x, y, x + y): easy to predict under any linear resampling. */
function gradient(width: number, height: number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, x + y], (y * width + x) * 3);
  }
  return { data, width, height };
}

/** A w x h image of pseudo-random bytes. */
function noise(width: number, height: number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 0xff;
  return { data, width, height };
}

const pixel = (out: Float32Array, width: number, x: number, y: number) =>
  Array.from(out.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));

describe('warpRgb', () => {
  it('copies the image through the identity map', () => {
    const image = noise(16, 12);
    const out = warpRgb(image, { a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0 }, 16, 12);
    expect(Array.from(out)).toEqual(Array.from(image.data));
  });

  it('averages each 2x2 block when halving the image', () => {
    const image = noise(8, 8);
    const out = warpRgb(image, squareCrop(0, 0, 8, 4), 4, 4);
    for (const [x, y] of [
      [0, 0],
      [3, 1],
      [2, 3],
    ] as const) {
      const block = [0, 1, 2].map((channel) => {
        const at = (u: number, v: number) => image.data[(v * 8 + u) * 3 + channel]!;
        return (at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) / 4;
      });
      for (const [channel, value] of pixel(out, 4, x, y).entries()) expect(value).toBeCloseTo(block[channel]!, 4);
    }
  });

  it('reads black outside the source', () => {
    const image = gradient(10, 10);
    const out = warpRgb(image, { a: 1, b: 0, c: 0, d: 1, tx: 20, ty: 0 }, 4, 4);
    expect(out.every((value) => value === 0)).toBe(true);
  });

  it('turns the image by a quarter turn about its centre', () => {
    const image = gradient(9, 9);
    // Output (x, y) reads source (8 - y, x): a quarter turn of the 9x9 grid.
    const out = warpRgb(image, { a: 0, b: -1, c: 1, d: 0, tx: 8, ty: 0 }, 9, 9);
    expect(pixel(out, 9, 2, 5)).toEqual([3, 2, 5]);
    expect(pixel(out, 9, 0, 0)).toEqual([8, 0, 8]);
  });

  it('samples an axis-aligned shrinking crop as the general warp samples it', () => {
    const image = noise(200, 150);
    const crop = squareCrop(13.3, 7.9, 137.4, 32);
    // A rotation too small to move any sample takes the general path.
    const nearlyAligned: Affine = { ...crop, b: 1e-12, c: -1e-12 };
    const aligned = warpRgb(image, crop, 32, 32);
    const general = warpRgb(image, nearlyAligned, 32, 32);
    let largest = 0;
    for (let i = 0; i < aligned.length; i++) largest = Math.max(largest, Math.abs(aligned[i]! - general[i]!));
    expect(largest).toBeLessThan(1e-3);
  });

  it('samples a crop that runs past the edge as the general warp does, black beyond it', () => {
    const image = noise(60, 40);
    const crop = squareCrop(-20.5, 10.25, 90, 24);
    const aligned = warpRgb(image, crop, 24, 24);
    const general = warpRgb(image, { ...crop, b: 1e-12, c: 1e-12 }, 24, 24);
    let largest = 0;
    for (let i = 0; i < aligned.length; i++) largest = Math.max(largest, Math.abs(aligned[i]! - general[i]!));
    expect(largest).toBeLessThan(1e-3);
    expect(pixel(aligned, 24, 0, 12)).toEqual([0, 0, 0]);
  });
});

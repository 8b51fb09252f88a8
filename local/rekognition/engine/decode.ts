/** Turns JPEG/PNG bytes or raw RGB frames into upright RGB pixels the models can read. */
import sharp, { type Metadata } from 'sharp';
import { ImageDimensionError, ImageFormatError, type RawImage } from './types';

/** Interleaved 8-bit RGB pixels. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Smallest side the engine accepts (Rekognition wants faces of at least 40 px in images of at least 80 px). */
export const MIN_SIDE = 80;
/** Larger photos are shrunk on decode to fit this box: faces stay big enough and memory stays bounded. */
export const MAX_DECODED_SIDE = 1600;
/** sharp refuses to decode more pixels than this (a decompression-bomb guard; the caller limits bytes). */
export const MAX_INPUT_PIXELS = 100_000_000;

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function isJpegOrPng(bytes: Buffer): boolean {
  return bytes.subarray(0, 3).equals(JPEG_MAGIC) || bytes.subarray(0, 8).equals(PNG_MAGIC);
}

function checkSides(width: number, height: number): void {
  if (width < MIN_SIDE || height < MIN_SIDE) {
    throw new ImageDimensionError(`image is ${width}x${height} px; each side must be at least ${MIN_SIDE} px`);
  }
}

function checkRaw(image: RawImage): RgbImage {
  const { data, width, height, channels } = image;
  if (channels !== 3 || !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageFormatError(`raw image must be interleaved RGB with positive integer sides, got ${width}x${height}x${channels}`);
  }
  if (data.length !== width * height * 3) {
    throw new ImageFormatError(`raw image of ${width}x${height} RGB needs ${width * height * 3} bytes, got ${data.length}`);
  }
  if (width * height > MAX_INPUT_PIXELS) {
    throw new ImageDimensionError(`raw image has ${width * height} pixels; the limit is ${MAX_INPUT_PIXELS}`);
  }
  checkSides(width, height);
  return { data, width, height };
}

async function decodeEncoded(bytes: Buffer): Promise<RgbImage> {
  if (!isJpegOrPng(bytes)) throw new ImageFormatError('image bytes are neither a JPEG nor a PNG');
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageFormatError(`image cannot be decoded: ${(error as Error).message}`);
  }
  const { width, height } = metadata;
  if (!width || !height) throw new ImageFormatError('image has no dimensions');
  if (width * height > MAX_INPUT_PIXELS) {
    throw new ImageDimensionError(`image has ${width * height} pixels; the limit is ${MAX_INPUT_PIXELS}`);
  }
  // Orientations 5-8 swap the sides; the minimum applies to the upright image.
  const swapsSides = (metadata.orientation ?? 1) >= 5;
  checkSides(swapsSides ? height : width, swapsSides ? width : height);
  try {
    // failOn 'truncated' refuses cut-off files instead of decoding a grey remainder.
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'truncated' })
      .rotate()
      .resize(MAX_DECODED_SIDE, MAX_DECODED_SIDE, { fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw new ImageFormatError(`image cannot be decoded: ${(error as Error).message}`);
  }
}

/**
 * Decodes to upright RGB. Throws ImageFormatError for anything but an intact JPEG/PNG or well-formed raw RGB,
 * ImageDimensionError for sides under 80 px or too many pixels.
 */
export async function decodeImage(image: Buffer | RawImage): Promise<RgbImage> {
  return Buffer.isBuffer(image) ? decodeEncoded(image) : checkRaw(image);
}

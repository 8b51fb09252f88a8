/**
 * Videos for the Node liveness client, made with the same ffmpeg the server decodes with: WebM/VP8 as a browser's
 * MediaRecorder records it (about 1 Mbit/s), from raw frames, from a sequence of still images, or as a "moving
 * closer" clip made from one photo: the face starts small and off-centre and grows into the oval the server sent,
 * then holds still while the screen flashes its colours (each frame faintly tinted by the colour on screen).
 */
import { spawn } from 'node:child_process';
import sharp from 'sharp';
import type { OvalParameters } from './event-stream';
import { FFMPEG_PATH } from './video-decoder';

export interface FrameSize {
  width: number;
  height: number;
}

/** ffmpeg reading raw RGB frames on stdin and writing WebM/VP8 as MediaRecorder would (1 Mbit/s, 1 s clusters). */
function spawnVp8Encoder({ width, height }: FrameSize, fps: number) {
  const ffmpeg = spawn(
    FFMPEG_PATH,
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      '-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-auto-alt-ref', '0',
      '-cluster_time_limit', '1000', '-flush_packets', '1',
      '-f', 'webm', 'pipe:1',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let errors = '';
  ffmpeg.stderr.on('data', (data: Buffer) => (errors += data.toString()));
  const exited = new Promise<void>((resolve, reject) =>
    ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg could not encode the video (exit ${code}): ${errors.trim()}`)))),
  );
  const write = async (frame: Buffer) => {
    if (frame.length !== width * height * 3) throw new Error(`frame of ${frame.length} bytes is not ${width}x${height} RGB`);
    if (!ffmpeg.stdin.write(frame)) await new Promise((resolve) => ffmpeg.stdin.once('drain', resolve));
  };
  return { output: ffmpeg.stdout, write, end: () => ffmpeg.stdin.end(), exited };
}

/** Encodes raw RGB frames (each width*height*3 bytes) at `fps` to WebM/VP8. */
export async function encodeWebm(frames: Iterable<Buffer> | AsyncIterable<Buffer>, size: FrameSize, fps: number): Promise<Buffer> {
  const encoder = spawnVp8Encoder(size, fps);
  const output: Buffer[] = [];
  encoder.output.on('data', (data: Buffer) => output.push(data));
  for await (const frame of frames) await encoder.write(frame);
  encoder.end();
  await encoder.exited;
  return Buffer.concat(output);
}

/**
 * Records like a camera with MediaRecorder(timeslice 1000): frames enter the encoder at their real times, and what
 * the encoder has written is handed out every second, the rest when the video ends.
 */
export async function recordInRealTime(
  frames: Iterable<Buffer> | AsyncIterable<Buffer>,
  size: FrameSize,
  fps: number,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  const encoder = spawnVp8Encoder(size, fps);
  let pending: Buffer[] = [];
  encoder.output.on('data', (data: Buffer) => pending.push(data));
  const flush = () => {
    if (pending.length === 0) return;
    const chunk = Buffer.concat(pending);
    pending = [];
    onChunk(chunk);
  };
  const timeslice = setInterval(flush, 1000);
  try {
    const start = Date.now();
    let index = 0;
    for await (const frame of frames) {
      await sleep(start + (index * 1000) / fps - Date.now());
      await encoder.write(frame);
      index += 1;
    }
    encoder.end();
    await encoder.exited;
  } finally {
    clearInterval(timeslice);
  }
  flush();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Each image (JPEG/PNG) resized to cover the frame, shown for `1000 / fps` ms. */
export async function imagesToWebm(images: Buffer[], size: FrameSize, fps: number): Promise<Buffer> {
  const frames: Buffer[] = [];
  for (const image of images) {
    frames.push(
      await sharp(image).rotate().resize(size.width, size.height, { fit: 'cover' }).removeAlpha().toColourspace('srgb').raw().toBuffer(),
    );
  }
  return encodeWebm(frames, size, fps);
}

/** Splits a WebM file into consecutive byte slices, one per second of video, as MediaRecorder's 1 s timeslice does. */
export function chunkLikeMediaRecorder(webm: Buffer, durationMs: number): Buffer[] {
  const count = Math.max(1, Math.ceil(durationMs / 1000));
  const size = Math.ceil(webm.length / count);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < webm.length; offset += size) chunks.push(webm.subarray(offset, offset + size));
  return chunks;
}

/** A face in ratios of the photo (left, top, width, height), e.g. from the face engine. */
export interface PhotoFace {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface MovingCloserPlan {
  size: FrameSize;
  fps: number;
  oval: OvalParameters;
  /** Time to move from the start position into the oval. */
  approachMs: number;
  /** Time to hold still in the oval afterwards (the component's 1 s pause plus the colour sequence). */
  holdMs: number;
  /** Screen colour shown from each offset (ms from the start), tinting the frames. */
  colours?: { fromMs: number; rgb: number[] }[];
}

/** Face width at the start and at the end, as fractions of the oval's width. */
export const START_FACE_SCALE = 0.4;
export const END_FACE_SCALE = 0.85;
/** Where the face starts: this far left of and below the oval's centre, in fractions of the frame. */
export const START_OFFSET = { x: 0.12, y: 0.06 };

/** How strongly the screen's colour lights the frame. */
const SCREEN_LIGHT = 0.08;

const smoothstep = (x: number) => x * x * (3 - 2 * x);

/**
 * Frames of the face in `photo` moving closer: scaled about the face's centre, the face centre travelling from
 * below-left of the oval to the oval's centre while its width grows from START_FACE_SCALE to END_FACE_SCALE of the oval.
 * The photo is extended with its blurred edge pixels so the frame never runs off its edge.
 */
export async function* movingCloserFrames(photo: Buffer, face: PhotoFace, plan: MovingCloserPlan): AsyncGenerator<Buffer> {
  const { size, fps, oval, approachMs, holdMs } = plan;
  const startScale = START_FACE_SCALE;
  const endScale = END_FACE_SCALE;
  // No more resolution than the closest frame needs: smaller buffers make every frame cheaper.
  const metadata = await sharp(photo).rotate().metadata();
  const sourceWidth = metadata.autoOrient?.width ?? metadata.width ?? 1;
  const shrink = Math.min(1, (endScale * oval.Width) / (face.width * sourceWidth));
  const decoded = await sharp(photo)
    .rotate()
    .resize({ width: Math.max(1, Math.round(sourceWidth * shrink)) })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width: pw, height: ph } = decoded.info;
  const faceWidthPx = face.width * pw;
  // Pad enough that the widest window (the smallest face) stays inside the padded photo.
  const minScale = (startScale * oval.Width) / faceWidthPx;
  const pad = Math.ceil(Math.max(size.width, size.height) / minScale);
  // The surround is the photo's edge pixels stretched outwards and blurred: a mirrored surround would repeat the face and
  // put more faces in the frame.
  // Blurred small and scaled up, which is far cheaper than blurring at full size.
  const small = 16;
  const stretched = await sharp(decoded.data, { raw: { width: pw, height: ph, channels: 3 } })
    .resize(Math.ceil(pw / small), Math.ceil(ph / small), { fit: 'fill' })
    .extend({ top: Math.ceil(pad / small), bottom: Math.ceil(pad / small), left: Math.ceil(pad / small), right: Math.ceil(pad / small), extendWith: 'copy' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const surround = await sharp(stretched.data, { raw: { width: stretched.info.width, height: stretched.info.height, channels: 3 } })
    .blur(4)
    .resize(pw + 2 * pad, ph + 2 * pad, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const padded = await sharp(surround.data, { raw: { width: surround.info.width, height: surround.info.height, channels: 3 } })
    .composite([{ input: decoded.data, raw: { width: pw, height: ph, channels: 3 }, left: pad, top: pad }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const faceCx = pad + (face.left + face.width / 2) * pw;
  const faceCy = pad + (face.top + face.height / 2) * ph;
  const start = { x: oval.CenterX - START_OFFSET.x * size.width, y: oval.CenterY + START_OFFSET.y * size.height };
  const total = Math.round(((approachMs + holdMs) * fps) / 1000);
  for (let i = 0; i < total; i += 1) {
    const tMs = (i * 1000) / fps;
    const progress = smoothstep(Math.min(1, tMs / approachMs));
    const faceWidth = (startScale + (endScale - startScale) * progress) * oval.Width;
    const scale = faceWidth / faceWidthPx;
    const cx = start.x + (oval.CenterX - start.x) * progress;
    const cy = start.y + (oval.CenterY - start.y) * progress;
    const windowWidth = Math.round(size.width / scale);
    const windowHeight = Math.round(size.height / scale);
    const left = Math.round(faceCx - cx / scale);
    const top = Math.round(faceCy - cy / scale);
    // Copy the window's rows out first: handing sharp the whole padded photo for every frame costs far more.
    const window = cropRows(padded.data, padded.info.width, {
      left: clamp(left, 0, padded.info.width - windowWidth),
      top: clamp(top, 0, padded.info.height - windowHeight),
      width: windowWidth,
      height: windowHeight,
    });
    const frame = await sharp(window, { raw: { width: windowWidth, height: windowHeight, channels: 3 } })
      .resize(size.width, size.height, { fit: 'fill' })
      .raw()
      .toBuffer();
    const colour = plan.colours?.filter((c) => c.fromMs <= tMs).at(-1);
    if (colour) lightWith(frame, colour.rgb);
    yield frame;
  }
}

function lightWith(frame: Buffer, rgb: number[]): void {
  for (let p = 0; p < frame.length; p += 3) {
    for (let c = 0; c < 3; c += 1) {
      frame[p + c] = Math.round((frame[p + c] ?? 0) * (1 - SCREEN_LIGHT) + (rgb[c] ?? 0) * SCREEN_LIGHT);
    }
  }
}

function cropRows(rgb: Buffer, width: number, region: { left: number; top: number; width: number; height: number }): Buffer {
  const out = Buffer.allocUnsafe(region.width * region.height * 3);
  for (let row = 0; row < region.height; row += 1) {
    const from = ((region.top + row) * width + region.left) * 3;
    rgb.copy(out, row * region.width * 3, from, from + region.width * 3);
  }
  return out;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

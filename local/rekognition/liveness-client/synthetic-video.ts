/**
 * Videos for the Node liveness client, made with the same ffmpeg the server decodes with: WebM/VP8 as a browser's
 * MediaRecorder records it (about 1 Mbit/s), from raw frames, from a sequence of still images, or as a "moving
 * closer" clip made from one photo: the face starts small and off-centre and grows into the oval the server sent,
 * then holds still while the screen flashes its colours (each frame faintly tinted by the colour on screen).
 */
import { spawn } from 'node:child_process';
import { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import sharp from 'sharp';
import type { OvalParameters } from '../liveness/event-stream';
import { FFMPEG_PATH } from '../liveness/video-decoder';

export interface FrameSize {
  width: number;
  height: number;
}

/** What each MediaRecorder writes: WebM/VP8 (Chrome, Edge, Firefox; 1 s clusters), fragmented MP4/H.264 (Safari). */
const ENCODINGS = {
  webm: ['-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-auto-alt-ref', '0', '-cluster_time_limit', '1000'],
  mp4: [
    ...['-c:v', 'libx264', '-b:v', '1M', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p'],
    ...['-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '1000000'],
  ],
};
export type RecordedFormat = keyof typeof ENCODINGS;

/** ffmpeg reading raw RGB frames on stdin and writing them as a browser's MediaRecorder would (about 1 Mbit/s). */
function spawnEncoder({ width, height }: FrameSize, fps: number, format: RecordedFormat = 'webm') {
  const ffmpeg = spawn(
    FFMPEG_PATH,
    [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0'],
      ...ENCODINGS[format],
      ...['-flush_packets', '1', '-f', format, 'pipe:1'],
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let errors = '';
  ffmpeg.stderr.on('data', (data: Buffer) => (errors += data.toString()));
  const output = format === 'webm' ? ffmpeg.stdout.pipe(withoutFrameRate()) : ffmpeg.stdout;
  const exited = Promise.all([
    new Promise<void>((resolve, reject) =>
      ffmpeg.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`ffmpeg could not encode the video (exit ${code}): ${errors.trim()}`)),
      ),
    ),
    finished(output),
  ]);
  const write = async (frame: Buffer) => {
    if (frame.length !== width * height * 3) throw new Error(`frame of ${frame.length} bytes is not ${width}x${height} RGB`);
    if (!ffmpeg.stdin.write(frame)) await new Promise((resolve) => ffmpeg.stdin.once('drain', resolve));
  };
  return { output, write, end: () => ffmpeg.stdin.end(), exited };
}

const CLUSTER_ID = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
const DEFAULT_DURATION_ID = Buffer.from([0x23, 0xe3, 0x83]);
const VOID_ID = 0xec;

/**
 * The encoder's WebM as MediaRecorder writes it: without a frame rate in the track header (each frame carries its
 * own time). ffmpeg's muxer writes the track's DefaultDuration; it becomes a Void element of the same length. Only the
 * header, before the first cluster, is looked at; the rest passes through.
 */
function withoutFrameRate(): Transform {
  let header: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!header) return done(null, chunk);
      header = Buffer.concat([header, chunk]);
      const clusterAt = header.indexOf(CLUSTER_ID);
      if (clusterAt < 0) return done();
      const at = header.subarray(0, clusterAt).indexOf(DEFAULT_DURATION_ID);
      if (at >= 0) {
        // A one-byte size (0x80 | n), as ffmpeg writes it: the element is 4 + n bytes, the Void's payload n + 2.
        const payload = header[at + 3]! & 0x7f;
        header.fill(0, at, at + 4 + payload);
        header[at] = VOID_ID;
        header[at + 1] = 0x80 | (payload + 2);
      }
      const whole = header;
      header = undefined;
      done(null, whole);
    },
    flush(done) {
      done(null, header?.length ? header : undefined);
    },
  });
}

type Frames = Iterable<Buffer> | AsyncIterable<Buffer>;

/** Encodes raw RGB frames (each width*height*3 bytes) at `fps` to WebM/VP8. */
export const encodeWebm = (frames: Frames, size: FrameSize, fps: number) => encode(frames, size, fps, 'webm');

/** The same as fragmented MP4/H.264, as Safari's MediaRecorder records. */
export const encodeMp4 = (frames: Frames, size: FrameSize, fps: number) => encode(frames, size, fps, 'mp4');

async function encode(frames: Frames, size: FrameSize, fps: number, format: RecordedFormat): Promise<Buffer> {
  const encoder = spawnEncoder(size, fps, format);
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
  frames: Frames,
  size: FrameSize,
  fps: number,
  onChunk: (chunk: Buffer) => void,
  format: RecordedFormat = 'webm',
): Promise<void> {
  const encoder = spawnEncoder(size, fps, format);
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

/** A photo made ready for moving-closer clips: shrunk to the resolution needed, with a blurred surround. */
export interface PreparedPhoto {
  rgb: Buffer;
  width: number;
  height: number;
  /** The face's centre and width, in pixels of the photo. */
  faceCx: number;
  faceCy: number;
  faceWidthPx: number;
  /** The photo's face height over its width (for the box the client reports). */
  faceAspect: number;
  /** The photo's edge pixels stretched outwards and blurred, at 1/SURROUND_SCALE size, `pad` photo pixels each side. */
  surround: { rgb: Buffer; width: number; height: number; pad: number };
}

/** The surround is kept this many times smaller than the photo: it is a blur, and small is cheap. */
const SURROUND_SCALE = 16;

/**
 * Prepares `photo` for clips of `size` frames, for any oval the server may send (widths from half to 0.8 of the
 * frame's 3:4 core, as the component's own ovals): no more resolution than the closest face needs, and a surround
 * wide enough for the smallest face. The surround is the photo's edge pixels stretched outwards and blurred: a
 * mirrored surround would repeat the face and put more faces in the frame.
 */
export async function preparePhoto(photo: Buffer, face: PhotoFace, size: FrameSize): Promise<PreparedPhoto> {
  const core = size.width >= size.height ? (3 / 4) * size.height : size.width;
  const metadata = await sharp(photo).rotate().metadata();
  const sourceWidth = metadata.autoOrient?.width ?? metadata.width ?? 1;
  const sourceHeight = metadata.autoOrient?.height ?? metadata.height ?? 1;
  const shrink = Math.min(1, (END_FACE_SCALE * 0.8 * core) / (face.width * sourceWidth));
  const decoded = await sharp(photo)
    .rotate()
    .resize({ width: Math.max(1, Math.round(sourceWidth * shrink)) })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width: pw, height: ph } = decoded.info;
  const faceWidthPx = face.width * pw;
  const minScale = (START_FACE_SCALE * 0.5 * core) / faceWidthPx;
  const edge = Math.ceil(Math.max(size.width, size.height) / minScale / SURROUND_SCALE);
  const surround = await sharp(decoded.data, { raw: { width: pw, height: ph, channels: 3 } })
    .resize(Math.ceil(pw / SURROUND_SCALE), Math.ceil(ph / SURROUND_SCALE), { fit: 'fill' })
    .extend({ top: edge, bottom: edge, left: edge, right: edge, extendWith: 'copy' })
    .blur(4)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    rgb: decoded.data,
    width: pw,
    height: ph,
    faceCx: (face.left + face.width / 2) * pw,
    faceCy: (face.top + face.height / 2) * ph,
    faceWidthPx,
    faceAspect: (face.height * sourceHeight) / (face.width * sourceWidth),
    surround: { rgb: surround.data, width: surround.info.width, height: surround.info.height, pad: edge * SURROUND_SCALE },
  };
}

/**
 * Frames of the prepared photo's face moving closer: scaled about the face's centre, the face centre travelling from
 * below-left of the oval to the oval's centre while its width grows from START_FACE_SCALE to END_FACE_SCALE of the
 * oval. Each frame is the blurred surround with the sharp photo laid over it, lit by the screen's colour.
 */
export async function* movingCloserFrames(photo: PreparedPhoto, plan: MovingCloserPlan): AsyncGenerator<Buffer> {
  const { size, fps, oval, approachMs, holdMs } = plan;
  const start = { x: oval.CenterX - START_OFFSET.x * size.width, y: oval.CenterY + START_OFFSET.y * size.height };
  const total = Math.round(((approachMs + holdMs) * fps) / 1000);
  for (let i = 0; i < total; i += 1) {
    const tMs = (i * 1000) / fps;
    const progress = smoothstep(Math.min(1, tMs / approachMs));
    const scale = ((START_FACE_SCALE + (END_FACE_SCALE - START_FACE_SCALE) * progress) * oval.Width) / photo.faceWidthPx;
    const cx = start.x + (oval.CenterX - start.x) * progress;
    const cy = start.y + (oval.CenterY - start.y) * progress;
    // The frame's window onto the photo, in photo pixels.
    const window = {
      left: photo.faceCx - cx / scale,
      top: photo.faceCy - cy / scale,
      width: size.width / scale,
      height: size.height / scale,
    };
    const colour = plan.colours?.filter((c) => c.fromMs <= tMs).at(-1);
    yield await renderFrame(photo, window, size, colour?.rgb);
  }
}

async function renderFrame(
  photo: PreparedPhoto,
  window: { left: number; top: number; width: number; height: number },
  size: FrameSize,
  light: number[] | undefined,
): Promise<Buffer> {
  const scale = size.width / window.width;
  const { surround } = photo;
  const s = (v: number) => (v + surround.pad) / SURROUND_SCALE;
  const backgroundRegion = fitInside(
    {
      left: Math.floor(s(window.left)),
      top: Math.floor(s(window.top)),
      width: Math.ceil(window.width / SURROUND_SCALE),
      height: Math.ceil(window.height / SURROUND_SCALE),
    },
    surround.width,
    surround.height,
  );
  let frame = sharp(surround.rgb, { raw: { width: surround.width, height: surround.height, channels: 3 } })
    .extract(backgroundRegion)
    .resize(size.width, size.height, { fit: 'fill' });
  const x0 = Math.max(0, Math.ceil(window.left));
  const y0 = Math.max(0, Math.ceil(window.top));
  const x1 = Math.min(photo.width, Math.floor(window.left + window.width));
  const y1 = Math.min(photo.height, Math.floor(window.top + window.height));
  const left = Math.round((x0 - window.left) * scale);
  const top = Math.round((y0 - window.top) * scale);
  const width = Math.min(size.width - left, Math.round((x1 - x0) * scale));
  const height = Math.min(size.height - top, Math.round((y1 - y0) * scale));
  if (width > 0 && height > 0) {
    const visible = cropRows(photo.rgb, photo.width, { left: x0, top: y0, width: x1 - x0, height: y1 - y0 });
    const overlay = await sharp(visible, { raw: { width: x1 - x0, height: y1 - y0, channels: 3 } })
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer();
    frame = sharp(await frame.raw().toBuffer(), { raw: { width: size.width, height: size.height, channels: 3 } }).composite([
      { input: overlay, raw: { width, height, channels: 3 }, left, top },
    ]);
  }
  if (light) {
    frame = sharp(await frame.removeAlpha().raw().toBuffer(), { raw: { width: size.width, height: size.height, channels: 3 } }).linear(
      [1 - SCREEN_LIGHT, 1 - SCREEN_LIGHT, 1 - SCREEN_LIGHT],
      light.map((c) => c * SCREEN_LIGHT),
    );
  }
  return frame.removeAlpha().raw().toBuffer();
}

function fitInside(region: { left: number; top: number; width: number; height: number }, width: number, height: number) {
  const w = Math.max(1, Math.min(region.width, width));
  const h = Math.max(1, Math.min(region.height, height));
  return { left: clamp(region.left, 0, width - w), top: clamp(region.top, 0, height - h), width: w, height: h };
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

/**
 * Fake-camera videos for Chromium (`--use-file-for-fake-video-capture`), made at test time from a still photo with
 * the liveness client's own moving-closer frames (local/rekognition/liveness-client/synthetic-video.ts: the photo over a
 * blurred surround of itself, which the anti-spoof model reads as a live scene, not a held-up print). The person
 * waits at arm's length, moves closer into the oval, and holds still there while the screen flashes.
 *
 * A camera file cannot look at the screen, so it cannot follow a random oval: the browser tests' stack sends every
 * session the centred oval (`livenessOvalPlacement: 'centred'`), and the video moves into that same oval.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { centredOval } from '../../local/rekognition/liveness/challenge';
import {
  END_FACE_SCALE,
  movingCloserFrames,
  preparePhoto,
  type FrameSize,
  type PhotoFace,
} from '../../local/rekognition/liveness-client/synthetic-video';
import { FFMPEG_PATH } from '../../local/rekognition/liveness/video-decoder';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'faces');

export const SELFIE_SAME_PERSON = join(FIXTURE_DIR, 'app-selfie-angelina_jolie-img7.jpg');
export const SELFIE_OTHER_PERSON = join(FIXTURE_DIR, 'app-selfie-jennifer_aniston-img3.jpg');
/** A plain photo of the face: not an identity document, so enrollment refuses it (DocumentCheck). */
export const PLAIN_PHOTO = join(FIXTURE_DIR, 'app-id-photo-angelina_jolie-img6.jpg');
/** A photographed ID card carrying the same person's face (made by the project's generator, samples/). */
export const ID_CARD = join(FIXTURE_DIR, '..', '..', '..', 'samples', 'angelina_jolie', 'id-card.jpg');
export const NO_FACE_PHOTO = join(FIXTURE_DIR, 'app-no-face-img4-left-strip.jpg');

export interface CameraMotion {
  size: FrameSize;
  fps: number;
  /** Still at arm's length, moving into the oval, and holding still in it (Chromium loops the file, so hold long). */
  farMs: number;
  approachMs: number;
  nearMs: number;
}

/**
 * 640x480 at 15 fps is the liveness component's ideal size and its minimum frame rate. The wait at arm's length
 * outlasts the component's start (camera, face check, stream connection), so the recording sees the face grow.
 */
export const MOVE_CLOSER: CameraMotion = { size: { width: 640, height: 480 }, fps: 15, farMs: 3000, approachMs: 4000, nearMs: 13_000 };

/**
 * The face's width at the end over the oval's, as the face engine measures it. The component judges the fit from
 * its own landmarks (a box about 1.09x the engine's, centred a little higher) and at 0.85 once never saw a fit; the
 * server wants 0.5-1.3, and nearer than about 0.95 the anti-spoof crop loses its context (one selfie scored 0.81
 * at 1.05, under the 90 threshold). At 0.9 the videos score 0.96-1.0.
 */
export const NEAR_FACE_SCALE = 0.9;

/** ffmpeg turning raw RGB frames on stdin into the y4m file Chromium's fake camera plays. */
function y4mWriter({ width, height }: FrameSize, fps: number, outFile: string) {
  const ffmpeg = spawn(
    FFMPEG_PATH,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(fps),
      '-i',
      'pipe:0',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'yuv4mpegpipe',
      outFile,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let errors = '';
  ffmpeg.stderr.on('data', (data: Buffer) => (errors = (errors + data.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve, reject) => {
    ffmpeg.on('error', reject);
    ffmpeg.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg could not write ${outFile} (exit ${code}): ${errors.trim()}`)),
    );
  });
  const write = async (frame: Buffer, times: number) => {
    for (let i = 0; i < times; i += 1) {
      if (!ffmpeg.stdin.write(frame)) await new Promise((resolve) => ffmpeg.stdin.once('drain', resolve));
    }
  };
  return { write, end: () => ffmpeg.stdin.end(), exited };
}

/**
 * Writes a y4m video of the face `face` (ratios of the photo, e.g. from locateFace) in `photo` moving into the
 * centred oval, and returns its path.
 */
export async function makeCameraVideo(
  photo: Buffer,
  face: PhotoFace,
  outFile: string,
  motion: CameraMotion = MOVE_CLOSER,
): Promise<string> {
  await mkdir(dirname(outFile), { recursive: true });
  const { size, fps } = motion;
  const prepared = await preparePhoto(photo, face, size);
  const writer = y4mWriter(size, fps, outFile);
  const frameMs = 1000 / fps;
  try {
    // movingCloserFrames ends with the face END_FACE_SCALE of the oval it is given: give it one that ends the face
    // NEAR_FACE_SCALE of the server's oval.
    const oval = centredOval(size.width, size.height);
    const grow = NEAR_FACE_SCALE / END_FACE_SCALE;
    const target = { ...oval, Width: oval.Width * grow, Height: oval.Height * grow };
    // The approach's frames, plus one with the face at its end position; the still phases repeat its end frames.
    const approach = movingCloserFrames(prepared, { size, fps, oval: target, approachMs: motion.approachMs, holdMs: frameMs });
    let index = 0;
    let last: Buffer | undefined;
    for await (const frame of approach) {
      await writer.write(frame, index === 0 ? Math.round(motion.farMs / frameMs) + 1 : 1);
      last = frame;
      index += 1;
    }
    if (!last) throw new Error('the moving-closer clip has no frames');
    await writer.write(last, Math.round(motion.nearMs / frameMs));
  } finally {
    writer.end();
  }
  await writer.exited;
  return outFile;
}

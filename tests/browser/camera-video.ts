/**
 * Fake-camera videos for Chromium (`--use-file-for-fake-video-capture`), made at test time from a still photo:
 * the person starts at arm's length and moves closer, as the Face Liveness oval asks. The photo is placed on a
 * larger plain background so the face can start small; ffmpeg's zoompan then moves the "camera" in.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import sharp from 'sharp';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'faces');

export interface FacePhoto {
  file: string;
  /** Face box centre and height as ratios of the photo, measured with the local face engine. */
  faceCentre: { x: number; y: number };
  faceHeight: number;
}

export const SELFIE_SAME_PERSON: FacePhoto = {
  file: join(FIXTURE_DIR, 'app-selfie-angelina_jolie-img7.jpg'),
  faceCentre: { x: 0.515, y: 0.399 },
  faceHeight: 0.428,
};

export const SELFIE_OTHER_PERSON: FacePhoto = {
  file: join(FIXTURE_DIR, 'app-selfie-jennifer_aniston-img3.jpg'),
  faceCentre: { x: 0.516, y: 0.387 },
  faceHeight: 0.468,
};

export const ID_PHOTO = join(FIXTURE_DIR, 'app-id-photo-angelina_jolie-img6.jpg');
export const NO_FACE_PHOTO = join(FIXTURE_DIR, 'app-no-face-img4-left-strip.jpg');

export interface CameraMotion {
  width: number;
  height: number;
  fps: number;
  /** Face height as a share of the frame height, far and near. */
  farFaceHeight: number;
  nearFaceHeight: number;
  /** Seconds at arm's length, moving in, and holding close (Chromium loops the file, so hold long). */
  farSeconds: number;
  approachSeconds: number;
  nearSeconds: number;
}

/**
 * 640x480 at 15 fps is the liveness component's ideal size and its minimum frame rate. The near face is as large
 * as both judges allow: the component calls a face larger than its oval a fit, the local server wants the face
 * box 0.5-1.3 of the oval's width; the oval's size and place are random per session, so a fixed video fits most
 * sessions, not all. The far phase outlasts the stream's start, so the recording sees the face grow.
 */
export const MOVE_CLOSER: CameraMotion = {
  width: 640,
  height: 480,
  fps: 15,
  farFaceHeight: 0.22,
  nearFaceHeight: 0.85,
  farSeconds: 3,
  approachSeconds: 4,
  nearSeconds: 13,
};

/** The photo centred on its face in a 4:3 scene of twice the frame size, the face `farFaceHeight` of its height. */
async function scene(photo: FacePhoto, motion: CameraMotion): Promise<Buffer> {
  const sceneWidth = motion.width * 2;
  const sceneHeight = motion.height * 2;
  const source = sharp(photo.file).rotate();
  const { width = 0, height = 0 } = await source.metadata();
  if (width === 0 || height === 0) throw new Error(`${photo.file}: not an image`);
  const scale = (motion.farFaceHeight * sceneHeight) / (photo.faceHeight * height);
  const scaledWidth = Math.round(width * scale);
  const scaledHeight = Math.round(height * scale);
  const left = Math.round(sceneWidth / 2 - photo.faceCentre.x * scaledWidth);
  const top = Math.round(sceneHeight / 2 - photo.faceCentre.y * scaledHeight);
  // A flat background in the photo's dominant colour: a blurred copy would hold a second, giant face.
  const { dominant } = await sharp(photo.file).stats();
  const person = await sharp(photo.file).rotate().resize(scaledWidth, scaledHeight).toBuffer();
  // The part of the photo that falls outside the scene is cut off, as a camera's frame would.
  const cropLeft = Math.max(0, -left);
  const cropTop = Math.max(0, -top);
  const visible = await sharp(person)
    .extract({
      left: cropLeft,
      top: cropTop,
      width: Math.min(scaledWidth - cropLeft, sceneWidth - Math.max(0, left)),
      height: Math.min(scaledHeight - cropTop, sceneHeight - Math.max(0, top)),
    })
    .toBuffer();
  return sharp({ create: { width: sceneWidth, height: sceneHeight, channels: 3, background: dominant } })
    .composite([{ input: visible, left: Math.max(0, left), top: Math.max(0, top) }])
    .png()
    .toBuffer();
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
}

/** Writes a y4m video of `photo` moving closer and returns its path. */
export async function makeCameraVideo(photo: FacePhoto, outFile: string, motion: CameraMotion = MOVE_CLOSER): Promise<string> {
  await mkdir(dirname(outFile), { recursive: true });
  const sceneFile = `${outFile}.scene.png`;
  await writeFile(sceneFile, await scene(photo, motion));
  // Zoom 1 shows the whole scene, the face at farFaceHeight of the frame.
  const far = 1;
  const near = motion.nearFaceHeight / motion.farFaceHeight;
  const farFrames = motion.farSeconds * motion.fps;
  const approachFrames = motion.approachSeconds * motion.fps;
  const totalSeconds = motion.farSeconds + motion.approachSeconds + motion.nearSeconds;
  const zoom = `if(lt(in,${farFrames}),${far},min(${far}+(in-${farFrames})*${(near - far) / approachFrames},${near}))`;
  await run(
    ffmpegInstaller.path,
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-framerate', String(motion.fps), '-loop', '1', '-i', sceneFile,
      '-vf', `zoompan=z='${zoom}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s=${motion.width}x${motion.height}:fps=${motion.fps},format=yuv420p`,
      '-t', String(totalSeconds),
      '-f', 'yuv4mpegpipe',
      outFile,
    ],
  );
  await rm(sceneFile);
  return outFile;
}

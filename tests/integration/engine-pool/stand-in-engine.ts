/**
 * A face engine for the pool's tests, loaded by the pool's worker threads in place of the real one. It reads its
 * orders from the image bytes: `hold` waits until the test opens the gate (a SharedArrayBuffer the test shares through
 * the pool), `crash` ends the worker thread, `not-an-image` is refused as the engine refuses bad bytes, and anything
 * else is one face whose embedding is the bytes' length along the first axis. Each engine writes the id of its OS
 * thread beside the gate, so the test can see whether that thread still exists.
 */
import { readlinkSync } from 'node:fs';
import { ImageFormatError, type AnalysedImage, type FaceEngine } from '../../../local/rekognition/engine/types';

/** Int32s of the gate: open or not, how many engines started, then their OS thread ids. */
const OPEN = 0;
const STARTED = 1;
const THREAD_IDS = 2;
const MAX_ENGINES = 8;

export interface StandInOptions {
  gate: SharedArrayBuffer;
}

export async function createFaceEngine({ gate }: StandInOptions): Promise<FaceEngine> {
  const opened = new Int32Array(gate);
  const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
  Atomics.store(opened, THREAD_IDS + (Atomics.add(opened, STARTED, 1) % MAX_ENGINES), threadId);
  const analyse = async (image: Buffer | { data: Buffer }): Promise<AnalysedImage> => {
    const bytes = Buffer.isBuffer(image) ? image : image.data;
    const order = bytes.toString('latin1');
    if (order === 'crash') process.exit(3);
    if (order === 'not-an-image') throw new ImageFormatError('image bytes are neither a JPEG nor a PNG');
    // Polled rather than Atomics.waitAsync, which the project's TypeScript lib does not declare.
    while (order === 'hold' && Atomics.load(opened, OPEN) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const embedding = new Float32Array(4);
    embedding[0] = bytes.length;
    const face = {
      box: { left: 0.25, top: 0.25, width: 0.5, height: 0.5 },
      confidence: 99,
      landmarks: [],
      pose: { roll: 0, yaw: 0, pitch: 0 },
      quality: { brightness: 50, sharpness: 50 },
      embedding,
    };
    return { width: 100, height: 100, faces: [face] };
  };
  return {
    modelVersion: 'stand-in/1',
    analyse,
    similarity: () => 0,
    liveProbability: async () => 0.5,
    scanFrame: async (image, { describeSingleFace }) => {
      const [face] = (await analyse(image)).faces;
      return {
        faces: [{ box: face!.box, confidence: face!.confidence }],
        ...(describeSingleFace ? { described: { face: face!, live: 0.5 } } : {}),
      };
    },
  };
}

/** A gate for the stand-in engines: shared with the pool's workers, opened by the test; it lists their threads. */
export function holdGate(): { gate: SharedArrayBuffer; open(): void; threadIds(): number[] } {
  const gate = new SharedArrayBuffer(4 * (THREAD_IDS + MAX_ENGINES));
  const view = new Int32Array(gate);
  return {
    gate,
    open: () => Atomics.store(view, OPEN, 1),
    threadIds: () => Array.from(view.subarray(THREAD_IDS, THREAD_IDS + Math.min(MAX_ENGINES, Atomics.load(view, STARTED)))),
  };
}

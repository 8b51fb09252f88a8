/**
 * The liveness video decoder: ffmpeg's raw output is cut into whole frames, in order, each in a buffer of its own;
 * and the same from the decoding thread, which the stream server uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { encodeWebm } from '../../../local/rekognition/liveness-client/synthetic-video';
import { startDecodingThread, type VideoDecoding } from '../../../local/rekognition/liveness/decoding-thread';
import {
  VideoDecodeError,
  VideoDecoder,
  type DecodedFrame,
  type VideoDecoderOptions,
} from '../../../local/rekognition/liveness/video-decoder';

const SIZE = { width: 640, height: 480 };
const FPS = 4;
/** One flat colour per frame: a frame cut at the wrong place would begin in one colour and end in the next. */
const COLOURS = [
  [200, 30, 30],
  [30, 200, 30],
  [30, 30, 200],
  [200, 200, 30],
  [30, 200, 200],
  [200, 30, 200],
];

function flatFrame([red, green, blue]: number[]): Buffer {
  const frame = Buffer.alloc(SIZE.width * SIZE.height * 3);
  for (let offset = 0; offset < frame.length; offset += 3) frame.set([red!, green!, blue!], offset);
  return frame;
}

/** The pixel at `index` (negative from the end), as [r, g, b]. */
function pixel(frame: Buffer, index: number): number[] {
  const start = (index < 0 ? frame.length / 3 + index : index) * 3;
  return [...frame.subarray(start, start + 3)];
}

/** Decodes `webm` in chunks that do not follow frame boundaries, as the client's do not. */
async function decodeInChunks(webm: Buffer, open: (options: VideoDecoderOptions) => VideoDecoding) {
  const frames: DecodedFrame[] = [];
  const decoder = open({ fps: FPS, ...SIZE, onFrame: (frame) => frames.push(frame) });
  for (let offset = 0; offset < webm.length; offset += 7001) decoder.write(webm.subarray(offset, offset + 7001));
  return { info: await decoder.finish(), frames };
}

it('cuts the decoded video into whole frames, in order, each in a buffer of its own', async () => {
  const webm = await encodeWebm(COLOURS.map(flatFrame), SIZE, FPS);
  const { info, frames } = await decodeInChunks(webm, (options) => new VideoDecoder(options));

  expect(info).toMatchObject({ frameCount: COLOURS.length, sourceWidth: SIZE.width, sourceHeight: SIZE.height });
  expect(frames.map((frame) => frame.offsetMs)).toEqual(COLOURS.map((_, index) => (index * 1000) / FPS));
  frames.forEach(({ image }, index) => {
    expect(image).toMatchObject({ ...SIZE, channels: 3 });
    expect(image.data.buffer.byteLength).toBe(SIZE.width * SIZE.height * 3);
    // VP8 is lossy: each end of the frame within a few levels of its colour.
    for (const [value, expected] of [...pixel(image.data, 0), ...pixel(image.data, -1)].map((v, i) => [v, COLOURS[index]![i % 3]!])) {
      expect(Math.abs(value! - expected!)).toBeLessThanOrEqual(12);
    }
  });
});

describe('from the decoding thread', () => {
  const decoding = startDecodingThread();
  afterAll(() => decoding.close());

  it('gives the frames the decoder gives on the calling thread, in shared memory', async () => {
    const webm = await encodeWebm(COLOURS.map(flatFrame), SIZE, FPS);
    const direct = await decodeInChunks(webm, (options) => new VideoDecoder(options));
    const threaded = await decodeInChunks(webm, (options) => decoding.open(options));
    expect(threaded.info).toEqual(direct.info);
    expect(threaded.frames.map((frame) => frame.offsetMs)).toEqual(direct.frames.map((frame) => frame.offsetMs));
    threaded.frames.forEach(({ image }, index) => {
      // By its tag: the buffer comes from the Node realm, not jest's sandbox.
      expect(Object.prototype.toString.call(image.data.buffer)).toBe('[object SharedArrayBuffer]');
      expect(image.data.equals(direct.frames[index]!.image.data)).toBe(true);
    });
  });

  it('runs in a thread named video-decoding, apart from the event loop', async () => {
    const webm = await encodeWebm(COLOURS.slice(0, 2).map(flatFrame), SIZE, FPS);
    await decodeInChunks(webm, (options) => decoding.open(options));
    const names = readdirSync('/proc/self/task').map((thread) => readFileSync(`/proc/self/task/${thread}/comm`, 'utf8').trim());
    expect(names).toContain('video-decoding');
  });

  it('refuses bytes that are not a video with VideoDecodeError', async () => {
    await expect(decodeInChunks(Buffer.from('not a webm file at all'), (options) => decoding.open(options))).rejects.toBeInstanceOf(
      VideoDecodeError,
    );
  });

  it('fails a video in progress when the thread is closed, and opens no more', async () => {
    const own = startDecodingThread();
    const video = own.open({ fps: FPS, ...SIZE, onFrame: () => undefined });
    video.write(await encodeWebm(COLOURS.slice(0, 1).map(flatFrame), SIZE, FPS));
    await own.close();
    await expect(video.finish()).rejects.toThrow('video decoding thread exited');
    await expect(decodeInChunks(Buffer.from('x'), (options) => own.open(options))).rejects.toThrow('stopped');
  });
});

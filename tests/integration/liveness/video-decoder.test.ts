/** The liveness video decoder: ffmpeg's raw output is cut into whole frames, in order, each in a buffer of its own. */
import { ProcessLauncher } from '../../../local/process-launcher';
import { encodeMp4, encodeWebm } from '../../../local/rekognition/liveness-client/synthetic-video';
import { VideoDecodeError, VideoDecoder, type DecodedFrame } from '../../../local/rekognition/liveness/video-decoder';

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

const launcher = new ProcessLauncher();
afterAll(() => launcher.close());

function flatFrame([red, green, blue]: number[]): Buffer {
  const frame = Buffer.alloc(SIZE.width * SIZE.height * 3);
  for (let offset = 0; offset < frame.length; offset += 3) frame.set([red!, green!, blue!], offset);
  return frame;
}

/**
 * The clip: one frame per colour, then the last colour once more. Its header gives no frame rate, as MediaRecorder
 * writes, so its last frame has no known length and is not sampled.
 */
const clip = (encode = encodeWebm) => encode([...COLOURS, COLOURS.at(-1)!].map(flatFrame), SIZE, FPS);

/** The pixel at `index` (negative from the end), as [r, g, b]. */
function pixel(frame: Buffer, index: number): number[] {
  const start = (index < 0 ? frame.length / 3 + index : index) * 3;
  return [...frame.subarray(start, start + 3)];
}

it.each([
  ['a WebM video', 'matroska', encodeWebm],
  ['a fragmented MP4 video (as Safari records)', 'mov', encodeMp4],
] as const)('cuts %s into whole frames, in order, each in a buffer of its own', async (_, container, encode) => {
  const video = await clip(encode);
  const frames: DecodedFrame[] = [];
  const decoder = new VideoDecoder({ container, fps: FPS, ...SIZE, onFrame: (frame) => frames.push(frame), launcher });
  // The client's chunks do not follow frame boundaries either.
  for (let offset = 0; offset < video.length; offset += 7001) decoder.write(video.subarray(offset, offset + 7001));
  const info = await decoder.finish();

  // ffmpeg's MP4 gives the frame rate, so its last frame is sampled too.
  const colours = container === 'mov' ? [...COLOURS, COLOURS.at(-1)!] : COLOURS;
  expect(info).toMatchObject({ frameCount: colours.length, sourceWidth: SIZE.width, sourceHeight: SIZE.height });
  expect(frames.map((frame) => frame.offsetMs)).toEqual(colours.map((_, index) => (index * 1000) / FPS));
  frames.forEach(({ image }, index) => {
    expect(image).toMatchObject({ ...SIZE, channels: 3 });
    expect(image.data.buffer.byteLength).toBe(SIZE.width * SIZE.height * 3);
    // VP8 and H.264 are lossy: each end of the frame within a few levels of its colour.
    for (const [value, expected] of [...pixel(image.data, 0), ...pixel(image.data, -1)].map((v, i) => [v, colours[index]![i % 3]!])) {
      expect(Math.abs(value! - expected!)).toBeLessThanOrEqual(12);
    }
  });
});

it('decodes frames while the input is still open, though the header gives no frame rate, as MediaRecorder writes', async () => {
  const webm = await clip();
  expect(webm.includes(Buffer.from([0x23, 0xe3, 0x83]))).toBe(false);
  const frames: DecodedFrame[] = [];
  let firstFrame!: () => void;
  const gotFirstFrame = new Promise<void>((resolve) => (firstFrame = resolve));
  const decoder = new VideoDecoder({
    container: 'matroska',
    fps: FPS,
    ...SIZE,
    onFrame: (frame) => frames.push(frame) && firstFrame(),
    launcher,
  });
  // All but the end of the last frame: ffmpeg's default probing waited for 5 s or 5 MB of such a stream, or its end.
  const cut = webm.length - 16;
  decoder.write(webm.subarray(0, cut));
  await gotFirstFrame;
  decoder.write(webm.subarray(cut));
  expect(await decoder.finish()).toMatchObject({ frameCount: COLOURS.length });
});

it('refuses bytes that are not a video', async () => {
  const decoder = new VideoDecoder({ container: 'matroska', fps: FPS, ...SIZE, onFrame: () => undefined, launcher });
  decoder.write(Buffer.alloc(64 * 1024, 'not a video '));
  await expect(decoder.finish()).rejects.toThrow(VideoDecodeError);
  await expect(decoder.finish()).rejects.toThrow(/ffmpeg exit [1-9]/);
});

it('stops at once when aborted, with no frames, and does not report that as a failure of its own', async () => {
  const webm = await clip();
  const frames: DecodedFrame[] = [];
  let failedEarly = false;
  const onEarlyFailure = () => (failedEarly = true);
  const decoder = new VideoDecoder({
    container: 'matroska',
    fps: FPS,
    ...SIZE,
    onFrame: (frame) => frames.push(frame),
    onEarlyFailure,
    launcher,
  });
  decoder.write(webm.subarray(0, 1000));
  decoder.abort();
  await expect(decoder.finish()).rejects.toThrow(/ffmpeg exit null, 0 frames/);
  expect(failedEarly).toBe(false);
});

it('stops at the first frame larger than the declared size, says so before the input ends, and decodes none', async () => {
  const webm = await clip();
  const frames: DecodedFrame[] = [];
  let onEarlyFailure!: () => void;
  const failedEarly = new Promise<void>((resolve) => (onEarlyFailure = resolve));
  const declared = { width: SIZE.width / 2, height: SIZE.height / 2 };
  const decoder = new VideoDecoder({
    container: 'matroska',
    fps: FPS,
    ...declared,
    onFrame: (frame) => frames.push(frame),
    onEarlyFailure,
    launcher,
  });
  // The input stays open: ffmpeg gives up on its own.
  decoder.write(webm);
  await failedEarly;
  expect(frames).toEqual([]);
  await expect(decoder.finish()).rejects.toThrow(VideoDecodeError);
});

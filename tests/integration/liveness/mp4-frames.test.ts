/**
 * The frame count the liveness endpoint reads from a fragmented MP4 stream (Safari's MediaRecorder) before ffmpeg
 * decodes it: every sample and the time they span, from clips ffmpeg makes and from hand-made boxes.
 */
import { encodeMp4 } from '../../../local/rekognition/liveness-client/synthetic-video';
import { Mp4FrameCounter } from '../../../local/rekognition/liveness/mp4-frames';
import { SourceFormatError } from '../../../local/rekognition/liveness/source-frames';

/** A box: its size, its type, its payload. */
function box(type: string, ...payload: (Buffer | number[])[]): Buffer {
  const body = Buffer.concat(payload.map((part) => Buffer.from(part)));
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

const u32 = (...values: number[]) =>
  values.flatMap((value) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
/** Version 0 and `flags`, as a full box starts. */
const full = (flags = 0) => u32(flags);

const FTYP = box('ftyp', Buffer.from('iso5'), u32(512), Buffer.from('iso5iso6mp41'));
/** Track 1 with a timescale of 1,000 (tkhd's track_ID after the two times; mdhd's timescale likewise). */
const MOOV = box('moov', box('trak', box('tkhd', full(), u32(0, 0, 1, 0)), box('mdia', box('mdhd', full(), u32(0, 0, 1000, 0)))));
/** A fragment of track 1 from `decodeTime`: each sample's duration listed in the trun (flags 0x100). */
const fragment = (decodeTime: number, durations: number[]) =>
  Buffer.concat([
    box(
      'moof',
      box(
        'traf',
        box('tfhd', full(), u32(1)),
        box('tfdt', full(), u32(decodeTime)),
        box('trun', full(0x100), u32(durations.length, ...durations)),
      ),
    ),
    box('mdat', Buffer.alloc(100)),
  ]);

function count(bytes: Buffer, pieceSize = bytes.length): Mp4FrameCounter {
  const counter = new Mp4FrameCounter();
  for (let offset = 0; offset < bytes.length; offset += pieceSize) counter.push(bytes.subarray(offset, offset + pieceSize));
  return counter;
}

it('counts the frames of a fragmented MP4 ffmpeg made and the time they span, however its bytes are cut', async () => {
  const size = { width: 160, height: 120 };
  const frames = Array.from({ length: 25 }, (_, index) => Buffer.alloc(size.width * size.height * 3, index * 10));
  const mp4 = await encodeMp4(frames, size, 10);
  for (const pieceSize of [1, 7, 4096, mp4.length]) expect(count(mp4, pieceSize)).toMatchObject({ frames: 25, spanMs: 2400 });
});

it('reads each sample time from its fragment start and the durations before it', () => {
  const stream = Buffer.concat([FTYP, MOOV, fragment(0, [33, 33, 34]), fragment(1000, [40, 40])]);
  for (const pieceSize of [1, 5, stream.length]) expect(count(stream, pieceSize)).toMatchObject({ frames: 5, spanMs: 1040 });
});

it("takes the fragment's default duration when the samples list none", () => {
  const tfhd = box('tfhd', full(0x08), u32(1, 50));
  const moof = box('moof', box('traf', tfhd, box('tfdt', full(), u32(0)), box('trun', full(), u32(4))));
  expect(count(Buffer.concat([FTYP, MOOV, moof]))).toMatchObject({ frames: 4, spanMs: 150 });
});

it('refuses bytes that do not start with an ftyp box', () => {
  expect(() => count(Buffer.alloc(4096, 'not a video '))).toThrow(SourceFormatError);
  expect(() => count(Buffer.concat([MOOV, fragment(0, [33])]))).toThrow(/ftyp/);
});

it('refuses a trun that lists more samples than it holds', () => {
  const trun = box('trun', full(0x100), u32(1_000_000, 33));
  const moof = box('moof', box('traf', box('tfhd', full(), u32(1)), trun));
  expect(() => count(Buffer.concat([FTYP, MOOV, moof]))).toThrow(/more samples than it holds/);
});

it('refuses a trun over 64 KB, which would wait for its end copied again with every chunk', () => {
  const durations = Array.from({ length: 20_000 }, () => 33);
  const moof = box('moof', box('traf', box('tfhd', full(), u32(1)), box('trun', full(0x100), u32(durations.length, ...durations))));
  expect(() => count(Buffer.concat([FTYP, MOOV, moof]), 1024)).toThrow(/box trun of \d+ bytes/);
});

it('refuses a box whose size is smaller than its header, or runs to the end of the file', () => {
  const sized = (size: number) => Buffer.concat([Buffer.from(u32(size)), Buffer.from('mdat'), Buffer.alloc(16)]);
  expect(() => count(Buffer.concat([FTYP, sized(4)]))).toThrow(SourceFormatError);
  expect(() => count(Buffer.concat([FTYP, sized(0)]))).toThrow(SourceFormatError);
});

it('refuses samples of a track without a timescale', () => {
  expect(() => count(Buffer.concat([FTYP, fragment(0, [33])]))).toThrow(/timescale/);
});

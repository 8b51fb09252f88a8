/**
 * The frame count the liveness endpoint reads from a WebM stream before ffmpeg decodes it: every frame and the time
 * they span, from clips ffmpeg makes and from the layout MediaRecorder writes, however the bytes are cut.
 */
import { encodeWebm } from '../../../local/rekognition/liveness-client/synthetic-video';
import { SourceFormatError } from '../../../local/rekognition/liveness/source-frames';
import { WebmFrameCounter } from '../../../local/rekognition/liveness/webm-frames';

/** An EBML element: its ID bytes, its size (8 bytes, or unknown), its payload. */
function element(id: number[], payload: Uint8Array | number[], { unknownSize = false } = {}): Buffer {
  const body = Buffer.from(payload);
  const size = Buffer.alloc(8);
  if (unknownSize) size.set([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  else size.writeBigUInt64BE(BigInt(body.length) | (1n << 56n));
  return Buffer.concat([Buffer.from(id), size, body]);
}

const EBML_HEADER = element([0x1a, 0x45, 0xdf, 0xa3], element([0x42, 0x82], Buffer.from('webm')));
const segment = (...children: Buffer[]) => element([0x18, 0x53, 0x80, 0x67], Buffer.concat(children), { unknownSize: true });
const cluster = (timecode: number, ...blocks: Buffer[]) =>
  element([0x1f, 0x43, 0xb6, 0x75], Buffer.concat([element([0xe7], [timecode >> 8, timecode & 0xff]), ...blocks]), { unknownSize: true });
/** A SimpleBlock of track 1 at `relative` ticks from its cluster; `laced` frames packed in it with Xiph lacing. */
const simpleBlock = (relative: number, laced = 1) =>
  element([0xa3], [0x81, (relative >> 8) & 0xff, relative & 0xff, laced > 1 ? 0x82 : 0x80, ...(laced > 1 ? [laced - 1] : []), 1, 2, 3]);
const tracks = element([0x16, 0x54, 0xae, 0x6b], Buffer.alloc(40, 7));

function count(bytes: Buffer, pieceSize = bytes.length): WebmFrameCounter {
  const counter = new WebmFrameCounter();
  for (let offset = 0; offset < bytes.length; offset += pieceSize) counter.push(bytes.subarray(offset, offset + pieceSize));
  return counter;
}

it('counts the frames of a clip ffmpeg made and the time they span, however its bytes are cut', async () => {
  const size = { width: 160, height: 120 };
  const frames = Array.from({ length: 12 }, (_, index) => Buffer.alloc(size.width * size.height * 3, index * 20));
  const webm = await encodeWebm(frames, size, 10);
  for (const pieceSize of [1, 7, 4096, webm.length]) {
    expect(count(webm, pieceSize)).toMatchObject({ frames: 12, spanMs: 1100 });
  }
});

it('reads a segment and clusters of unknown size, as MediaRecorder writes them', () => {
  const stream = Buffer.concat([
    EBML_HEADER,
    segment(tracks, cluster(0, simpleBlock(0), simpleBlock(33)), cluster(1000, simpleBlock(0), simpleBlock(33))),
  ]);
  for (const pieceSize of [1, 5, stream.length]) expect(count(stream, pieceSize)).toMatchObject({ frames: 4, spanMs: 1033 });
});

it("reads block times in the segment's own timecode scale", () => {
  // 0.5 ms ticks: 2,000 ticks are 1 s.
  const info = element([0x15, 0x49, 0xa9, 0x66], element([0x2a, 0xd7, 0xb1], [0x07, 0xa1, 0x20]));
  const stream = Buffer.concat([EBML_HEADER, segment(info, cluster(0, simpleBlock(0)), cluster(2000, simpleBlock(0)))]);
  expect(count(stream)).toMatchObject({ frames: 2, spanMs: 1000 });
});

it('counts the blocks inside block groups', () => {
  const block = element([0xa1], [0x81, 0, 40, 0x00, 9, 9]);
  const stream = Buffer.concat([EBML_HEADER, segment(cluster(0, simpleBlock(0), element([0xa0], block)))]);
  expect(count(stream)).toMatchObject({ frames: 2, spanMs: 40 });
});

it('counts every frame of a laced block', () => {
  const stream = Buffer.concat([EBML_HEADER, segment(cluster(0, simpleBlock(0, 10), simpleBlock(100)))]);
  expect(count(stream).frames).toBe(11);
});

it('refuses bytes that do not start with an EBML header', () => {
  expect(() => count(Buffer.alloc(4096, 'not a video '))).toThrow(SourceFormatError);
  expect(() => count(segment(cluster(0, simpleBlock(0))))).toThrow(SourceFormatError);
});

it('refuses an unknown size on an element that must give its size', () => {
  const unsizedTracks = element([0x16, 0x54, 0xae, 0x6b], Buffer.alloc(40, 7), { unknownSize: true });
  expect(() => count(Buffer.concat([EBML_HEADER, segment(unsizedTracks)]))).toThrow(/unknown size/);
});

it('refuses a length byte that no EBML number starts with', () => {
  expect(() => count(Buffer.concat([EBML_HEADER, Buffer.from([0x00, 0x81, 0x00])]))).toThrow(/variable-length integer/);
});

it('refuses a block too short to hold its track and time', () => {
  const stream = Buffer.concat([EBML_HEADER, segment(cluster(0, element([0xa3], [0x81, 0])))]);
  expect(() => count(stream)).toThrow(/block too short/);
});

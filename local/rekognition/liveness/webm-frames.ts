/**
 * Counts the frames of a WebM (Matroska) video and the time they span, as its bytes arrive (see ./source-frames.ts).
 * Reads element headers only (EBML IDs and sizes), the timestamps, and each block's first bytes (track, time, lacing);
 * everything else is skipped by its size. The segment and its clusters may have an unknown size, as MediaRecorder
 * writes them; any other element must say its size.
 */
import { ChunkedElementReader, SourceFormatError, type SourceFrameCounter } from './source-frames';

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMECODE_SCALE = 0x2ad7b1;
const CLUSTER = 0x1f43b675;
const CLUSTER_TIMECODE = 0xe7;
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
const SIMPLE_BLOCK = 0xa3;

/** Master elements read into (their children follow in the stream); every other element is skipped or read whole. */
const ENTERED = new Set([SEGMENT, INFO, CLUSTER, BLOCK_GROUP]);
/** Elements that may leave their size unknown (all value bits set), as a live recording does. */
const UNKNOWN_SIZE_ALLOWED = new Set([SEGMENT, CLUSTER]);
/** A block's track number (up to 8 bytes), its 2-byte relative time, its flags and, when laced, its frame count. */
const BLOCK_PREFIX_MAX = 8 + 2 + 1 + 1;

interface ElementHeader {
  id: number;
  /** undefined: unknown size. */
  size: number | undefined;
  /** Bytes of the ID and the size together. */
  length: number;
}

/** A variable-length integer's length, from the leading zeros of its first byte (1 to `maxLength`). */
function vintLength(first: number, maxLength: number): number {
  for (let length = 1; length <= maxLength; length++) if (first & (0x100 >> length)) return length;
  throw new SourceFormatError(`invalid EBML variable-length integer 0x${first.toString(16)}`);
}

function readHeader(data: Uint8Array, at: number): ElementHeader | undefined {
  if (at >= data.length) return undefined;
  const idLength = vintLength(data[at]!, 4);
  if (at + idLength >= data.length) return undefined;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + data[at + i]!;
  const sizeLength = vintLength(data[at + idLength]!, 8);
  if (at + idLength + sizeLength > data.length) return undefined;
  let size = data[at + idLength]! & (0xff >> sizeLength);
  let unknown = size === 0xff >> sizeLength;
  for (let i = 1; i < sizeLength; i++) {
    const byte = data[at + idLength + i]!;
    size = size * 256 + byte;
    unknown &&= byte === 0xff;
  }
  if (!unknown && size > Number.MAX_SAFE_INTEGER) throw new SourceFormatError('element size out of range');
  return { id, size: unknown ? undefined : size, length: idLength + sizeLength };
}

function readUnsigned(data: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + data[at + i]!;
  return value;
}

export class WebmFrameCounter extends ChunkedElementReader implements SourceFrameCounter {
  /** A laced block counts each of its frames. */
  frames = 0;
  spanMs = 0;
  private firstMs: number | undefined;
  private started = false;
  private nanosecondsPerTick = 1_000_000;
  private clusterTicks = 0;

  protected readElement(data: Uint8Array, at: number): number | undefined {
    const header = readHeader(data, at);
    if (!header) return undefined;
    const { id, size, length } = header;
    if (!this.started) {
      if (id !== EBML_HEADER) throw new SourceFormatError('the stream does not start with an EBML header');
      this.started = true;
    }
    if (size === undefined && !UNKNOWN_SIZE_ALLOWED.has(id)) {
      throw new SourceFormatError(`element 0x${id.toString(16)} has an unknown size`);
    }
    if (ENTERED.has(id)) return length;
    const payload = at + length;
    const known = size!;
    if (id === TIMECODE_SCALE || id === CLUSTER_TIMECODE) {
      if (known > 8) throw new SourceFormatError('timestamp field longer than 8 bytes');
      if (payload + known > data.length) return undefined;
      const value = readUnsigned(data, payload, known);
      if (id === TIMECODE_SCALE) this.nanosecondsPerTick = value;
      else this.clusterTicks = value;
      return length + known;
    }
    if (id === SIMPLE_BLOCK || id === BLOCK) {
      if (payload + Math.min(known, BLOCK_PREFIX_MAX) > data.length) return undefined;
      this.countBlock(data.subarray(payload, payload + Math.min(known, BLOCK_PREFIX_MAX)), known);
      this.skip = known;
      return length;
    }
    this.skip = known;
    return length;
  }

  /** Counts a block's frames and notes its time, from its first bytes. */
  private countBlock(prefix: Uint8Array, size: number): void {
    const trackLength = vintLength(prefix[0] ?? 0, 8);
    if (size < trackLength + 3) throw new SourceFormatError('block too short');
    const relative = (((prefix[trackLength]! << 8) | prefix[trackLength + 1]!) << 16) >> 16;
    const flags = prefix[trackLength + 2]!;
    const laced = (flags & 0x06) !== 0;
    if (laced && size < trackLength + 4) throw new SourceFormatError('laced block too short');
    this.frames += laced ? prefix[trackLength + 3]! + 1 : 1;
    const ms = ((this.clusterTicks + relative) * this.nanosecondsPerTick) / 1e6;
    this.firstMs ??= ms;
    this.spanMs = Math.max(this.spanMs, ms - this.firstMs);
  }
}

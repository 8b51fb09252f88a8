/**
 * Counts the frames of a fragmented MP4 video and the time they span, as its bytes arrive (see ./source-frames.ts);
 * Safari's MediaRecorder writes it, where Chrome and Firefox write WebM. The frames are the samples each fragment's
 * `trun` lists; their times come from `tfdt`, the sample durations and the track's timescale (`mdhd`). Boxes are
 * skipped by their size, and entered or read whole only where those are.
 */
import { ChunkedElementReader, SourceFormatError, type SourceFrameCounter } from './source-frames';

/** Boxes read into: their children follow. */
const ENTERED = new Set(['moov', 'trak', 'mdia', 'mvex', 'moof', 'traf']);
/**
 * Boxes read whole, and the most bytes each may have. A trun lists every sample of a fragment (16 bytes each at most: a
 * second at 60 frames is 1 KB); the cap bounds what waits for the next chunk, copied again with each one.
 */
const READ_WHOLE = new Map([
  ['tkhd', 1024],
  ['mdhd', 1024],
  ['trex', 1024],
  ['tfhd', 1024],
  ['tfdt', 1024],
  ['trun', 64 * 1024],
]);
interface Track {
  timescale: number;
  /** trex's default sample duration. */
  defaultDuration: number;
  /** Where the track's next fragment starts when it has no tfdt, in its timescale. */
  nextDecodeTime: number;
}

export class Mp4FrameCounter extends ChunkedElementReader implements SourceFrameCounter {
  frames = 0;
  spanMs = 0;
  private firstMs: number | undefined;
  private started = false;
  private readonly tracks = new Map<number, Track>();
  /** The trak or traf being read: its track, and the traf's tfhd default duration and tfdt time. */
  private currentTrack = 0;
  private fragmentDuration: number | undefined;
  private fragmentDecodeTime: number | undefined;

  protected readElement(data: Uint8Array, at: number): number | undefined {
    if (at + 8 > data.length) return undefined;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let size = view.getUint32(at);
    const type = String.fromCharCode(data[at + 4]!, data[at + 5]!, data[at + 6]!, data[at + 7]!);
    let header = 8;
    if (size === 1) {
      if (at + 16 > data.length) return undefined;
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    }
    if (!this.started) {
      if (type !== 'ftyp') throw new SourceFormatError('the stream does not start with an ftyp box');
      this.started = true;
    }
    // Size 0 ("to the end of the file") has no end in a stream.
    if (size < header || size > Number.MAX_SAFE_INTEGER) throw new SourceFormatError(`box ${JSON.stringify(type)} has size ${size}`);
    if (ENTERED.has(type)) {
      if (type === 'traf') this.fragmentDuration = this.fragmentDecodeTime = undefined;
      return header;
    }
    const limit = READ_WHOLE.get(type);
    if (limit === undefined) {
      this.skip = size - header;
      return header;
    }
    if (size > limit) throw new SourceFormatError(`box ${type} of ${size} bytes`);
    if (at + size > data.length) return undefined;
    this.read(type, new DataView(data.buffer, data.byteOffset + at + header, size - header));
    return size;
  }

  /** A full box's fields after its version and flags; a box too short for them throws (DataView's RangeError). */
  private read(type: string, box: DataView): void {
    try {
      const version = box.getUint8(0);
      const flags = box.getUint32(0) & 0xffffff;
      const u64 = (offset: number) => Number(box.getBigUint64(offset));
      switch (type) {
        case 'tkhd':
          this.currentTrack = box.getUint32(version === 1 ? 20 : 12);
          this.track(this.currentTrack);
          return;
        case 'mdhd':
          this.track(this.currentTrack).timescale = box.getUint32(version === 1 ? 20 : 12);
          return;
        case 'trex':
          this.track(box.getUint32(4)).defaultDuration = box.getUint32(12);
          return;
        case 'tfhd': {
          this.currentTrack = box.getUint32(4);
          // After the optional base data offset (8 bytes) and sample description index (4).
          const offset = 8 + (flags & 0x01 ? 8 : 0) + (flags & 0x02 ? 4 : 0);
          if (flags & 0x08) this.fragmentDuration = box.getUint32(offset);
          return;
        }
        case 'tfdt':
          this.fragmentDecodeTime = version === 1 ? u64(4) : box.getUint32(4);
          return;
        case 'trun':
          this.countRun(box, flags);
          return;
      }
    } catch (error) {
      if (error instanceof RangeError) throw new SourceFormatError(`box ${type} too short`);
      throw error;
    }
  }

  /** A trun: its samples counted, their times from the fragment's start and their durations. */
  private countRun(box: DataView, flags: number): void {
    const count = box.getUint32(4);
    const track = this.track(this.currentTrack);
    if (track.timescale <= 0) throw new SourceFormatError('trun of a track without a timescale');
    let offset = 8 + (flags & 0x01 ? 4 : 0) + (flags & 0x04 ? 4 : 0);
    const entry = [0x100, 0x200, 0x400, 0x800].filter((field) => flags & field).length * 4;
    if (offset + count * entry > box.byteLength) throw new SourceFormatError('trun lists more samples than it holds');
    const start = this.fragmentDecodeTime ?? track.nextDecodeTime;
    const fixed = this.fragmentDuration ?? track.defaultDuration;
    let time = start;
    let lastStart = start;
    if (flags & 0x100) {
      // Each sample's own duration, the first field of its entry.
      for (let i = 0; i < count; i++, offset += entry) {
        lastStart = time;
        time += box.getUint32(offset);
      }
    } else if (count > 0) {
      lastStart = start + (count - 1) * fixed;
      time = start + count * fixed;
    }
    track.nextDecodeTime = time;
    // The next trun of this traf follows on from this one.
    this.fragmentDecodeTime = time;
    if (count === 0) return;
    this.frames += count;
    const toMs = (ticks: number) => (ticks * 1000) / track.timescale;
    this.firstMs ??= toMs(start);
    this.spanMs = Math.max(this.spanMs, toMs(lastStart) - this.firstMs);
  }

  private track(id: number): Track {
    let track = this.tracks.get(id);
    if (!track) {
      track = { timescale: 0, defaultDuration: 0, nextDecodeTime: 0 };
      this.tracks.set(id, track);
    }
    return track;
  }
}

/**
 * What the stream server learns of a video from its bytes before ffmpeg decodes it: its container, then its frames
 * and the time they span (./webm-frames.ts, ./mp4-frames.ts). ffmpeg decodes every frame of a stream, whatever rate it
 * samples, and a few MB can hold thousands of small frames, so a video whose frames come faster than a camera's is
 * refused before they are decoded.
 */

/** The bytes are not a video of the container they began as, or not one this reader can follow. */
export class SourceFormatError extends Error {
  override name = 'SourceFormatError';
}

/** ffmpeg's demuxer for each container MediaRecorder writes: WebM (Chrome, Edge, Firefox) and fragmented MP4 (Safari). */
export type VideoContainer = 'matroska' | 'mov';

export interface SourceFrameCounter {
  /** Frames seen so far. */
  readonly frames: number;
  /** Time from the first frame to the latest one, in milliseconds. */
  readonly spanMs: number;
  /** Reads the next bytes of the stream; throws SourceFormatError when they cannot be such a video. */
  push(chunk: Uint8Array): void;
}

/** The container a stream's first bytes announce (EBML's magic, or an MP4 ftyp box), if any: 8 bytes are enough. */
export function sniffContainer(start: Uint8Array): VideoContainer | undefined {
  if (start[0] === 0x1a && start[1] === 0x45 && start[2] === 0xdf && start[3] === 0xa3) return 'matroska';
  if (String.fromCharCode(...start.subarray(4, 8)) === 'ftyp') return 'mov';
  return undefined;
}

const EMPTY = new Uint8Array(0);

/**
 * The reading both containers share: element by element (a box, an EBML element), each read, entered or skipped by
 * its size, as the bytes come in chunks cut anywhere. What an element's start needs and is not there yet waits for
 * the next chunk.
 */
export abstract class ChunkedElementReader {
  /** Bytes of the current element's payload still to pass over. */
  protected skip = 0;
  /** The start of an element whose header (or needed first bytes) the last chunk cut off. */
  private carry: Uint8Array = EMPTY;

  push(chunk: Uint8Array): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let at = 0;
    while (at < data.length) {
      if (this.skip > 0) {
        const passed = Math.min(this.skip, data.length - at);
        this.skip -= passed;
        at += passed;
        continue;
      }
      const consumed = this.readElement(data, at);
      if (consumed === undefined) break;
      at += consumed;
    }
    // Copied: the caller may reuse the chunk's memory.
    this.carry = at < data.length ? Uint8Array.from(data.subarray(at)) : EMPTY;
  }

  /** Reads the element at `at` (setting `skip` for a payload to pass over); the bytes consumed, or undefined to wait. */
  protected abstract readElement(data: Uint8Array, at: number): number | undefined;
}

/**
 * Incremental decoding of the session's WebM video with the ffmpeg binary of @ffmpeg-installer/ffmpeg: chunks go
 * into ffmpeg's stdin as they arrive, and raw RGB frames, sampled at a fixed rate and scaled to a fixed size, come
 * out while the client is still streaming, so the scorer can work during the stream rather than after it.
 */
import { createRequire } from 'node:module';
import type { LaunchedProgram, ProcessLauncher } from '../../process-launcher';
import type { RawImage } from '../engine/types';
import type { VideoContainer } from './source-frames';

const require = createRequire(import.meta.url);
export const FFMPEG_PATH: string = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

export interface DecodedFrame {
  /** Milliseconds from the first frame of the video. */
  offsetMs: number;
  image: RawImage;
}

export interface VideoDecoderOptions {
  /** The demuxer: what the stream server found the video to be. */
  container: VideoContainer;
  /** Frames per second to sample. */
  fps: number;
  /** Output frame size (the declared video size, possibly shrunk); both even. */
  width: number;
  height: number;
  onFrame: (frame: DecodedFrame) => void;
  /** ffmpeg failed before the input ended (bytes it cannot decode, a frame over the size): finish() says why. */
  onEarlyFailure?: () => void;
  /** Starts ffmpeg from a small helper process: a fork of this large one would stall its event loop. */
  launcher: ProcessLauncher;
}

export interface DecodedVideoInfo {
  /** The size ffmpeg found in the stream, to compare with what the client declared. */
  sourceWidth?: number;
  sourceHeight?: number;
  frameCount: number;
}

/** The video is not a stream ffmpeg can decode. */
export class VideoDecodeError extends Error {
  override name = 'VideoDecodeError';
}

export class VideoDecoder {
  private readonly process: LaunchedProgram;
  private readonly frameBytes: number;
  /** The frame ffmpeg's output is filling, and how many of its bytes have come. */
  private frame: Buffer | undefined;
  private filled = 0;
  private frameCount = 0;
  private stdinError: Error | undefined;
  private stopping = false;

  constructor(private readonly options: VideoDecoderOptions) {
    const { fps, width, height } = options;
    this.frameBytes = width * height * 3;
    this.process = options.launcher.launch(FFMPEG_PATH, [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'info',
      // One decoding thread: the same frames for about 15% less CPU, and one stream decodes ~100 times faster than real time.
      '-threads',
      '1',
      // No probing ahead: the header (WebM's tracks, MP4's moov) says what ffmpeg needs. With its default (5 s, 5 MB),
      // a MediaRecorder WebM (no frame rate in its header) gave no frame until 4 s of it had come, so the frames were
      // scored after the stream rather than during it; now each comes as its chunk arrives. The same frames on VP8,
      // VP9 and H.264 recordings from Chromium and on the test clips, but for one: a stream without a frame rate may
      // lose its last sampled frame (its length is unknown), as a 1.5 s test clip did.
      '-probesize',
      '32',
      '-analyzeduration',
      '0',
      // The container the stream server found (no guessing from the bytes); no frame larger than the declared size
      // (a 4K video declared as 640x480 cost ffmpeg 7 CPU-s per 10 MB before the size check refused it); and the first
      // error ends ffmpeg, so that the stream is refused while it comes (onEarlyFailure).
      '-f',
      options.container,
      '-max_pixels',
      String(width * height),
      '-xerror',
      '-i',
      'pipe:0',
      '-an',
      '-vf',
      `fps=${fps},scale=${width}:${height}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ]);
    this.process.stdout.on('data', (data: Buffer) => this.take(data));
    void this.process.exited.then(({ code }) => {
      if (!this.stopping && code !== 0) options.onEarlyFailure?.();
    });
    // A client that sends garbage makes ffmpeg exit early; writes after that fail with EPIPE, which finish() reports.
    this.process.stdin.on('error', (error) => {
      this.stdinError = error;
    });
  }

  write(chunk: Uint8Array): void {
    if (!this.process.stdin.destroyed && !this.process.stdin.writableEnded) this.process.stdin.write(chunk);
  }

  /** Ends the input and waits for the last frames. */
  async finish(): Promise<DecodedVideoInfo> {
    this.stopping = true;
    this.process.stdin.end();
    // The start of ffmpeg's stderr: only its header lines matter here (the stream description).
    const { code, stderr, failure } = await this.process.exited;
    const size = /Stream #\d+:\d+.*?: Video: [^\n]*?, (\d{2,5})x(\d{2,5})/.exec(stderr);
    if (code !== 0 || this.frameCount === 0) {
      // The lines that say why (with -xerror, ffmpeg stops at the first, as "Picture size ... exceeds ...").
      const errorLines = stderr.split('\n').filter((line) => /error|invalid|exceeds|failed/i.test(line));
      const reason = [...errorLines.slice(-2), ...(failure ? [failure] : [])].join('; ');
      const details = `${reason ? `: ${reason}` : ''}${this.stdinError ? `; ${this.stdinError.message}` : ''}`;
      throw new VideoDecodeError(`video could not be decoded (ffmpeg exit ${code}, ${this.frameCount} frames${details})`);
    }
    return {
      ...(size ? { sourceWidth: Number(size[1]), sourceHeight: Number(size[2]) } : {}),
      frameCount: this.frameCount,
    };
  }

  /** Stops decoding at once (the stream was refused). */
  abort(): void {
    this.stopping = true;
    this.process.kill();
  }

  /**
   * Copies ffmpeg's output straight into frames of their own (each about 1 MB), without joining the pipe's chunks
   * first; in shared memory, which the face engine pool hands to a worker without another copy.
   */
  private take(data: Buffer): void {
    for (let offset = 0; offset < data.length; ) {
      this.frame ??= sharedFrame(this.frameBytes);
      const copied = data.copy(this.frame, this.filled, offset);
      offset += copied;
      this.filled += copied;
      if (this.filled < this.frameBytes) continue;
      const { width, height, fps } = this.options;
      this.options.onFrame({
        offsetMs: (this.frameCount * 1000) / fps,
        image: { data: this.frame, width, height, channels: 3 },
      });
      this.frame = undefined;
      this.filled = 0;
      this.frameCount += 1;
    }
  }
}

/** A frame's bytes in shared memory: the face engine pool hands them to a worker thread without copying them. */
const sharedFrame = (bytes: number) => Buffer.from(new SharedArrayBuffer(bytes));

/**
 * The liveness videos' ffmpeg decoders, run from a thread of their own, off the event loop that answers the API.
 * Starting ffmpeg forks the stack's process, which holds the models and the Lambda containers: tens of milliseconds
 * in which the caller's thread does nothing else. And each frame (about 1 MB) is written into fresh memory, about 3 ms
 * of page faults. On the serving loop, 25 sessions starting at once held up the cheap calls of the sign-ins behind
 * them. The frames come back in shared memory, which the face engine pool hands on without a copy.
 *
 *   const decoding = startDecodingThread();
 *   const video = decoding.open({ fps, width, height, onFrame });   // video.write(chunk) ... await video.finish()
 *   await decoding.close();
 *
 * A thread that dies fails the videos it was decoding (finish rejects) and is started again for the next one.
 */
import { Worker } from 'node:worker_threads';
import { type DecodedVideoInfo, VideoDecodeError, type VideoDecoderOptions } from './video-decoder';

/** One video being decoded: the VideoDecoder's interface. */
export interface VideoDecoding {
  write(chunk: Uint8Array): void;
  /** Ends the input and waits for the last frames; rejects with VideoDecodeError for a video ffmpeg cannot decode. */
  finish(): Promise<DecodedVideoInfo>;
  /** Stops decoding at once. */
  abort(): void;
}

export interface DecodingThread {
  open(options: VideoDecoderOptions): VideoDecoding;
  close(): Promise<void>;
}

export type ToDecodingThread =
  | { op: 'open'; id: number; fps: number; width: number; height: number }
  | { op: 'write'; id: number; chunk: Uint8Array }
  | { op: 'finish'; id: number }
  | { op: 'abort'; id: number };

export type FromDecodingThread =
  | { type: 'frame'; id: number; offsetMs: number; data: Uint8Array }
  | { type: 'finished'; id: number; info: DecodedVideoInfo }
  | { type: 'failed'; id: number; error: { name: string; message: string } };

const WORKER_SCRIPT = new URL('./decoding-worker.mjs', import.meta.url);

interface OpenVideo {
  options: VideoDecoderOptions;
  finished?: { resolve(info: DecodedVideoInfo): void; reject(error: Error): void };
  /** The thread's answer when it came before finish() was called (a video ffmpeg refused early). */
  outcome?: { info: DecodedVideoInfo } | { error: Error };
}

export function startDecodingThread(): DecodingThread {
  let worker: Worker | undefined;
  let nextId = 1;
  let closed = false;
  const videos = new Map<number, OpenVideo>();

  const settle = (id: number, outcome: NonNullable<OpenVideo['outcome']>) => {
    const video = videos.get(id);
    if (!video) return;
    if (!video.finished) {
      video.outcome = outcome;
      return;
    }
    videos.delete(id);
    if ('info' in outcome) video.finished.resolve(outcome.info);
    else video.finished.reject(outcome.error);
  };

  const thread = (): Worker => {
    if (worker) return worker;
    const started = new Worker(WORKER_SCRIPT);
    started.on('message', (message: FromDecodingThread) => {
      if (message.type === 'frame') {
        const video = videos.get(message.id);
        if (!video) return;
        const { data, offsetMs } = message;
        const { width, height } = video.options;
        video.options.onFrame({
          offsetMs,
          image: { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 3 },
        });
      } else if (message.type === 'finished') settle(message.id, { info: message.info });
      else {
        const { name, message: text } = message.error;
        settle(message.id, { error: name === 'VideoDecodeError' ? new VideoDecodeError(text) : new Error(text) });
      }
    });
    started.on('error', () => undefined);
    started.once('exit', (code) => {
      if (worker === started) worker = undefined;
      // Every video it held is lost: their sessions fail (an internal error, not the client's).
      for (const id of [...videos.keys()]) settle(id, { error: new Error(`video decoding thread exited (code ${code})`) });
    });
    worker = started;
    return started;
  };

  const post = (message: ToDecodingThread, transfer: ArrayBuffer[] = []) => thread().postMessage(message, transfer);

  return {
    open(options) {
      if (closed) throw new Error('the video decoding thread has stopped');
      const id = nextId++;
      videos.set(id, { options });
      post({ op: 'open', id, fps: options.fps, width: options.width, height: options.height });
      return {
        write(chunk) {
          if (!videos.has(id)) return;
          // A copy of its own, transferred: the chunk may be a view of a larger buffer, which posting would clone whole.
          const copy = new Uint8Array(chunk);
          post({ op: 'write', id, chunk: copy }, [copy.buffer]);
        },
        finish() {
          const video = videos.get(id);
          if (!video) return Promise.reject(new Error('video decoding was aborted or has ended'));
          const answered = new Promise<DecodedVideoInfo>((resolve, reject) => {
            video.finished = { resolve, reject };
          });
          if (video.outcome) settle(id, video.outcome);
          else post({ op: 'finish', id });
          return answered;
        },
        abort() {
          if (!videos.delete(id)) return;
          post({ op: 'abort', id });
        },
      };
    },
    async close() {
      closed = true;
      const running = worker;
      worker = undefined;
      if (running) await running.terminate();
    },
  };
}

/** The video decoding thread (./decoding-thread.ts): one VideoDecoder per open video, as the main thread asks. */
import { parentPort } from 'node:worker_threads';
import { nameThisThread, VIDEO_DECODING_THREAD_NAME } from '../../thread-names';
import type { FromDecodingThread, ToDecodingThread } from './decoding-thread';
import { VideoDecoder } from './video-decoder';

nameThisThread(VIDEO_DECODING_THREAD_NAME);
const port = parentPort!;
const decoders = new Map<number, VideoDecoder>();
const send = (message: FromDecodingThread) => port.postMessage(message);

port.on('message', (message: ToDecodingThread) => {
  const { id } = message;
  switch (message.op) {
    case 'open': {
      const { fps, width, height } = message;
      // Frames go back in the shared memory the decoder wrote them to: the main thread gets the same bytes, uncopied.
      decoders.set(
        id,
        new VideoDecoder({ fps, width, height, onFrame: ({ offsetMs, image }) => send({ type: 'frame', id, offsetMs, data: image.data }) }),
      );
      return;
    }
    case 'write':
      decoders.get(id)?.write(message.chunk);
      return;
    case 'finish': {
      const decoder = decoders.get(id);
      decoders.delete(id);
      decoder?.finish().then(
        (info) => send({ type: 'finished', id, info }),
        (error: Error) => send({ type: 'failed', id, error: { name: error.name, message: error.message } }),
      );
      return;
    }
    case 'abort':
      decoders.get(id)?.abort();
      decoders.delete(id);
      return;
  }
});

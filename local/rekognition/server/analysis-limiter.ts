/**
 * Bounds the document analyses in flight (Textract's OCR worker; face images go through the face engine pool's
 * lanes instead): a few run at once, a bounded number wait their turn, and beyond that a request is refused with
 * ThrottlingException, which the SDK retries with backoff, instead of piling decoded images up in memory.
 */
import { AwsError } from '../../aws/errors';

export class AnalysisLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {
    if (!Number.isInteger(maxRunning) || maxRunning < 1) throw new Error(`maxRunning must be a positive integer, got ${maxRunning}`);
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new Error(`maxWaiting must be a non-negative integer, got ${maxWaiting}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxRunning) {
      if (this.waiting.length >= this.maxWaiting) {
        // Rekognition answers ThrottlingException with HTTP 500: it is a server-side fault the client retries.
        throw new AwsError('ThrottlingException', 'Too many images are being analysed; retry later', 500);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiting task, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * One OCR reading per page, shared by identical requests. The indexer (on the S3 event) and verify (on the answer)
 * analyse the same upload at nearly the same time, and a caller that timed out asks again: the same bytes always
 * read the same, so a reading in progress is joined and a finished one is kept a short while. A failed reading is
 * not kept.
 */
import { createHash } from 'node:crypto';

export class PageReadings<T> {
  private readonly inProgress = new Map<string, Promise<T>>();
  private readonly kept = new Map<string, { reading: T; untilMs: number }>();

  constructor(
    private readonly keepMs = 60_000,
    private readonly maxKept = 64,
    private readonly nowMs: () => number = Date.now,
  ) {}

  read(bytes: Buffer, readPage: () => Promise<T>): Promise<T> {
    const key = createHash('sha256').update(bytes).digest('hex');
    const kept = this.kept.get(key);
    if (kept && kept.untilMs > this.nowMs()) return Promise.resolve(kept.reading);
    this.kept.delete(key);
    const running = this.inProgress.get(key);
    if (running) return running;
    const reading = readPage()
      .then((result) => {
        this.keep(key, result);
        return result;
      })
      .finally(() => this.inProgress.delete(key));
    this.inProgress.set(key, reading);
    return reading;
  }

  private keep(key: string, reading: T): void {
    this.kept.set(key, { reading, untilMs: this.nowMs() + this.keepMs });
    // Oldest first: a Map iterates in insertion order.
    for (const oldest of this.kept.keys()) {
      if (this.kept.size <= this.maxKept) break;
      this.kept.delete(oldest);
    }
  }
}

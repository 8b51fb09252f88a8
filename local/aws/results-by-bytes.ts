/**
 * Results of a deterministic computation on an upload's bytes (an OCR reading, a face analysis), by the SHA-256 of
 * the bytes: the local emulators are asked about the same bytes again and again (the indexer and verify read the same
 * upload at nearly the same time; every sign-in's CompareFaces reads the user's pinned ID photo; a caller that timed
 * out asks again). A computation in progress is joined; a finished one is kept until `keepMs` has passed or it is the
 * least recently used of more than `maxKept`; a failure (a refusal such as ThrottlingException) is not kept.
 */
import { createHash } from 'node:crypto';

export interface ResultsByBytesOptions {
  /** How long a result is kept after it was computed; default for as long as there is room. */
  keepMs?: number;
  maxKept: number;
  nowMs?: () => number;
}

export class ResultsByBytes<T> {
  private readonly inProgress = new Map<string, Promise<T>>();
  private readonly kept = new Map<string, { result: T; untilMs: number }>();
  private readonly keepMs: number;
  private readonly maxKept: number;
  private readonly nowMs: () => number;

  constructor({ keepMs = Number.POSITIVE_INFINITY, maxKept, nowMs = Date.now }: ResultsByBytesOptions) {
    if (!Number.isInteger(maxKept) || maxKept < 1) throw new Error(`maxKept must be a positive integer, got ${maxKept}`);
    this.keepMs = keepMs;
    this.maxKept = maxKept;
    this.nowMs = nowMs;
  }

  /** The result for `bytes`: the kept one, the one in progress, or `compute()`'s. */
  get(bytes: Buffer, compute: () => Promise<T>): Promise<T> {
    const key = createHash('sha256').update(bytes).digest('base64');
    const kept = this.kept.get(key);
    // A Map iterates in insertion order: taking the entry out and back in makes it the most recently used.
    this.kept.delete(key);
    if (kept && kept.untilMs > this.nowMs()) {
      this.kept.set(key, kept);
      return Promise.resolve(kept.result);
    }
    const running = this.inProgress.get(key);
    if (running) return running;
    const computed = compute()
      .then((result) => {
        this.keep(key, result);
        return result;
      })
      .finally(() => this.inProgress.delete(key));
    this.inProgress.set(key, computed);
    return computed;
  }

  private keep(key: string, result: T): void {
    this.kept.set(key, { result, untilMs: this.nowMs() + this.keepMs });
    for (const leastRecent of this.kept.keys()) {
      if (this.kept.size <= this.maxKept) break;
      this.kept.delete(leastRecent);
    }
  }
}

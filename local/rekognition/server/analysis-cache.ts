/**
 * The analyses of recently seen images, by the SHA-256 of their bytes, so that the same image is analysed once. A
 * user's pinned ID photo is the source image of every CompareFaces of their sign-ins (and of the enrollment's
 * SearchFacesByImage and IndexFaces before): a 1100x793 card costs a face worker about 150 ms, three times the
 * 640x480 reference image it is compared with. The engine gives the same analysis for the same bytes, so a kept one
 * is what a new run would return. Only successes are kept (a refusal, such as ThrottlingException, is not); requests
 * for the same bytes while one is running share that run. The least recently used entry goes first.
 */
import { createHash } from 'node:crypto';
import type { AnalysedImage } from '../engine/types';

/** An analysis holds a few kilobytes per face (most of it the embedding): 256 one-face images are under 1 MB. */
export const DEFAULT_CACHED_ANALYSES = 256;

export class AnalysisCache {
  private readonly entries = new Map<string, Promise<AnalysedImage>>();

  constructor(
    private readonly analyse: (bytes: Buffer) => Promise<AnalysedImage>,
    private readonly maxEntries = DEFAULT_CACHED_ANALYSES,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  /** The analysis of `bytes`: the kept one, the one running, or a new run. */
  get(bytes: Buffer): Promise<AnalysedImage> {
    const key = createHash('sha256').update(bytes).digest('base64');
    const kept = this.entries.get(key);
    // A Map iterates in insertion order: taking the entry out and back in makes it the most recently used.
    this.entries.delete(key);
    const analysis = kept ?? this.analyse(bytes);
    this.entries.set(key, analysis);
    if (!kept) {
      analysis.catch(() => {
        if (this.entries.get(key) === analysis) this.entries.delete(key);
      });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return analysis;
  }
}

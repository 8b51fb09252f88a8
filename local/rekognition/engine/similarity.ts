/** Cosine similarity of embeddings mapped onto Rekognition's 0-100 Similarity, from calibration data. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What scripts/calibrate-similarity.ts writes; the engine needs only `k` and `c`, the rest is the evidence. */
export interface Calibration {
  /** Similarity = 100 / (1 + exp(-k (cos - c))). */
  k: number;
  c: number;
  /** Cosine at which Similarity is 90. */
  t90: number;
  [evidence: string]: unknown;
}

export const CALIBRATION_FILE = fileURLToPath(new URL('./calibration.json', import.meta.url));

export function readCalibration(file = CALIBRATION_FILE): Calibration {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Calibration>;
  const { k, c, t90 } = parsed;
  if (typeof k !== 'number' || !(k > 0) || typeof c !== 'number' || !Number.isFinite(c) || typeof t90 !== 'number') {
    throw new Error(`${file} must hold a positive number k, finite numbers c and t90`);
  }
  return parsed as Calibration;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`embeddings must have the same non-zero length, got ${a.length} and ${b.length}`);
  }
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

export function similarityFromCosine(cos: number, { k, c }: Pick<Calibration, 'k' | 'c'>): number {
  return 100 / (1 + Math.exp(-k * (cos - c)));
}

/** The cosine at which the map gives `similarity`: its inverse, used to pick c from a chosen threshold. */
export function cosineAtSimilarity(similarity: number, k: number, c: number): number {
  return c - Math.log(100 / similarity - 1) / k;
}

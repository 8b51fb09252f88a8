/** LFW View 1 helpers shared by the calibration and the benchmark scripts: pairs, embeddings, pair scores. */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaceEngine } from '../types';
import { MODEL_FILES } from '../models';

export const LFW_DIR = process.env.LFW_VIEW1_DIR ?? '/work/shared/data/faces/lfw-view1';

export interface LfwPair {
  a: string;
  b: string;
  same: boolean;
}

/** Reads pairs_devtrain.csv / pairs_devtest.csv (path_a,path_b,same,known_label_error; paths relative to LFW_DIR). */
export function readPairs(file: string): LfwPair[] {
  const [header, ...rows] = readFileSync(path.join(LFW_DIR, file), 'utf8').trim().split(/\r?\n/);
  if (header !== 'path_a,path_b,same,known_label_error') throw new Error(`${file}: unexpected header ${header}`);
  return rows.map((row, i) => {
    const [a, b, same] = row.split(',');
    if (!a || !b || (same !== '0' && same !== '1')) throw new Error(`${file}: malformed row ${i + 2}: ${row}`);
    return { a, b, same: same === '1' };
  });
}

/** LFW paths are images/<Name>/<Name>_NNNN.jpg: the folder is the identity. */
export function identityOf(imagePath: string): string {
  const parts = imagePath.split('/');
  const identity = parts[parts.length - 2];
  if (!identity) throw new Error(`not an LFW image path: ${imagePath}`);
  return identity;
}

export function imagesOf(pairs: readonly LfwPair[]): string[] {
  return [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
}

/** Everything the embeddings depend on: the models and the engine's code. A change to either invalidates the cache. */
function engineFingerprint(): string {
  const hash = createHash('sha256');
  for (const { sha256 } of Object.values(MODEL_FILES)) hash.update(sha256);
  const engineDir = fileURLToPath(new URL('..', import.meta.url));
  for (const file of readdirSync(engineDir).filter((f) => f.endsWith('.ts')).sort()) {
    hash.update(file).update(readFileSync(path.join(engineDir, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The embedding of the subject of each LFW image, or null when no face is found. LFW images are centred on
 * their subject, so of several faces the one nearest the centre is the subject. Embeddings are cached in the
 * temp dir under the engine's fingerprint; `useCache: false` recomputes everything.
 */
export async function embedImages(
  engine: FaceEngine,
  images: readonly string[],
  { useCache = true, onProgress }: { useCache?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<Map<string, Float32Array | null>> {
  const cacheFile = path.join(os.tmpdir(), 'cognito-face-login-lfw', `${engineFingerprint()}.json`);
  // Embeddings are stored as base64 of their float32 bytes: exact, and a fraction of the memory of number arrays.
  const cached: Record<string, string | null> = useCache ? readCache(cacheFile) : {};
  const result = new Map<string, Float32Array | null>();
  let done = 0;
  for (const image of images) {
    const hit = cached[image];
    if (hit !== undefined) {
      result.set(image, hit === null ? null : new Float32Array(new Uint8Array(Buffer.from(hit, 'base64')).buffer));
    } else {
      const analysed = await engine.analyse(readFileSync(path.join(LFW_DIR, image)));
      const centred = [...analysed.faces].sort((p, q) => distanceFromCentre(p.box) - distanceFromCentre(q.box))[0];
      result.set(image, centred?.embedding ?? null);
      cached[image] = centred ? Buffer.from(centred.embedding.buffer, centred.embedding.byteOffset, centred.embedding.byteLength).toString('base64') : null;
    }
    onProgress?.(++done, images.length);
  }
  mkdirSync(path.dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify(cached));
  return result;
}

function distanceFromCentre(box: { left: number; top: number; width: number; height: number }): number {
  return Math.hypot(box.left + box.width / 2 - 0.5, box.top + box.height / 2 - 0.5);
}

function readCache(file: string): Record<string, string | null> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | null>;
  } catch {
    return {};
  }
}

export interface PairScores {
  genuine: Float64Array;
  impostor: Float64Array;
  /** Images with no face: their pairs cannot be scored. */
  missing: string[];
}

/** Cosines of every same-identity and every cross-identity pair among `images` (a face-less image is left out). */
export function allPairCosines(embeddings: Map<string, Float32Array | null>): PairScores {
  const entries = [...embeddings].filter((e): e is [string, Float32Array] => e[1] !== null);
  const missing = [...embeddings].filter(([, e]) => e === null).map(([image]) => image);
  const identities = entries.map(([image]) => identityOf(image));
  const genuine: number[] = [];
  const n = entries.length;
  const impostor = new Float64Array((n * (n - 1)) / 2);
  let impostorCount = 0;
  for (let i = 0; i < n; i++) {
    const a = entries[i]![1];
    for (let j = i + 1; j < n; j++) {
      const b = entries[j]![1];
      let dot = 0;
      for (let d = 0; d < a.length; d++) dot += a[d]! * b[d]!;
      if (identities[i] === identities[j]) genuine.push(dot);
      else impostor[impostorCount++] = dot;
    }
  }
  return { genuine: Float64Array.from(genuine), impostor: impostor.slice(0, impostorCount), missing };
}

/** Share of `scores` at or above `threshold`. */
export function rateAtOrAbove(scores: Float64Array, threshold: number): number {
  let count = 0;
  for (const s of scores) if (s >= threshold) count++;
  return scores.length === 0 ? Number.NaN : count / scores.length;
}

/** The q-quantile (0-1) of scores, by sorting a copy. */
export function quantile(scores: Float64Array, q: number): number {
  const sorted = Float64Array.from(scores).sort();
  const index = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[index]!;
}

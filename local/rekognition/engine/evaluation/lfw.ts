/** LFW View 1 helpers shared by the calibration and the benchmark scripts: data folder, pairs, embeddings, pair scores. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { DetectedFace, FaceEngine } from '../types';
import { MODEL_FILES } from '../models';
import { makeIdCard } from './id-card';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Where the data folder is when none is given: beside the repository, resolved from its root, never from the cwd. */
export const DEFAULT_DATA_DIR = path.resolve(REPO_ROOT, '../shared/data/faces');

/** The face data folder from `--data DIR` in `argv` (relative paths from the cwd), else DEFAULT_DATA_DIR. */
export function dataDirFrom(argv: readonly string[]): string {
  const flag = argv.indexOf('--data');
  if (flag < 0) return DEFAULT_DATA_DIR;
  const dir = argv[flag + 1];
  if (!dir || dir.startsWith('--')) throw new Error('--data needs a folder: the one holding lfw-view1/');
  return path.resolve(dir);
}

/** LFW View 1 inside the data folder (layout in local/rekognition/engine/README.md). */
export function lfwDirOf(dataDir: string): string {
  return path.join(dataDir, 'lfw-view1');
}

export interface LfwPair {
  a: string;
  b: string;
  same: boolean;
}

/** Reads pairs_devtrain.csv / pairs_devtest.csv (path_a,path_b,same,known_label_error; paths relative to lfwDir). */
export function readPairs(lfwDir: string, file: string): LfwPair[] {
  const [header, ...rows] = readFileSync(path.join(lfwDir, file), 'utf8').trim().split(/\r?\n/);
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

/**
 * Everything the embeddings depend on: the models and the engine's code. A change to either invalidates the cache.
 * Taken once, at import, when the engine's code is loaded: an edit during a run must not relabel its results.
 */
const ENGINE_FINGERPRINT = ((): string => {
  const hash = createHash('sha256');
  for (const { sha256 } of Object.values(MODEL_FILES)) hash.update(sha256);
  const engineDir = fileURLToPath(new URL('..', import.meta.url));
  for (const file of readdirSync(engineDir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    hash.update(file).update(readFileSync(path.join(engineDir, file)));
  }
  return hash.digest('hex').slice(0, 16);
})();

/** How to get the images to embed and which face is their subject. */
export interface ImageSource {
  /** Names the cache: images of one name must always have the same bytes. */
  name: string;
  read(image: string): Buffer | Promise<Buffer>;
  subject(faces: readonly DetectedFace[]): DetectedFace | undefined;
}

/** LFW images are centred on their subject, so of several faces the one nearest the centre is the subject. */
export function lfwSource(lfwDir: string): ImageSource {
  return {
    name: 'lfw',
    read: (image) => readFileSync(path.join(lfwDir, image)),
    subject: (faces) => [...faces].sort((p, q) => distanceFromCentre(p.box) - distanceFromCentre(q.box))[0],
  };
}

/** The generator's code and the libvips that renders it: what a card's bytes depend on besides its portrait. */
const GENERATOR_FINGERPRINT = ((): string => {
  const hash = createHash('sha256').update(sharp.versions.vips);
  for (const file of ['id-card.ts', 'mrz.ts']) hash.update(readFileSync(fileURLToPath(new URL(`./${file}`, import.meta.url))));
  return hash.digest('hex').slice(0, 16);
})();

/**
 * A photo of a synthetic identity document (./id-card.ts) carrying each LFW image, seeded by the image's path, so
 * every run sees the same cards. Cards are kept in the temp dir (rendering costs more than embedding). The subject
 * is the largest face: the portrait, not the faded second copy some layouts print.
 */
export function idCardSource(lfwDir: string): ImageSource {
  const name = `cards-${GENERATOR_FINGERPRINT}`;
  const cardDir = path.join(os.tmpdir(), 'cognito-face-login-lfw', name);
  return {
    name,
    async read(image) {
      const file = path.join(cardDir, `${image.replace(/\.jpg$/, '').replace(/[^A-Za-z0-9_.-]/g, '_')}.jpg`);
      if (existsSync(file)) return readFileSync(file);
      const card = await makeIdCard(readFileSync(path.join(lfwDir, image)), { seed: image });
      mkdirSync(cardDir, { recursive: true });
      writeFileSync(file, card.image);
      return card.image;
    },
    subject: (faces) => faces[0],
  };
}

/**
 * The embedding of the subject of each image, or null when no face is found. Embeddings are cached in the temp dir
 * under the engine's fingerprint and the source's name; `useCache: false` recomputes everything.
 */
export async function embedImages(
  engine: FaceEngine,
  source: ImageSource,
  images: readonly string[],
  { useCache = true, onProgress }: { useCache?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<Map<string, Float32Array | null>> {
  const cacheFile = path.join(os.tmpdir(), 'cognito-face-login-lfw', `${ENGINE_FINGERPRINT}-${source.name}.json`);
  // Embeddings are stored as base64 of their float32 bytes: exact, and a fraction of the memory of number arrays.
  const cached: Record<string, string | null> = useCache ? readCache(cacheFile) : {};
  const result = new Map<string, Float32Array | null>();
  let done = 0;
  for (const image of images) {
    const hit = cached[image];
    if (hit !== undefined) {
      result.set(image, hit === null ? null : new Float32Array(new Uint8Array(Buffer.from(hit, 'base64')).buffer));
    } else {
      const subject = source.subject((await engine.analyse(await source.read(image))).faces);
      result.set(image, subject?.embedding ?? null);
      cached[image] = subject
        ? Buffer.from(subject.embedding.buffer, subject.embedding.byteOffset, subject.embedding.byteLength).toString('base64')
        : null;
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

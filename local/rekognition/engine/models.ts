/** Loads the four vendored ONNX models after checking each file against its published sha256. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

/** The files in local/models (see its README for provenance); a changed byte means a different model, so loading stops. */
export const MODEL_FILES = {
  detect: { file: 'fr_detect.onnx', sha256: '6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854' },
  landmark: { file: 'fr_landmark.onnx', sha256: 'f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258' },
  feature: { file: 'fr_feature.onnx', sha256: '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581' },
  liveness: { file: 'fr_liveness.onnx', sha256: 'afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d' },
} as const;

export type ModelName = keyof typeof MODEL_FILES;
export type ModelSessions = Record<ModelName, ort.InferenceSession>;

export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../models', import.meta.url));

export class ModelIntegrityError extends Error {
  override name = 'ModelIntegrityError';
}

function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // 'all' adds the CPU layout transforms: fr_feature takes 11.5 CPU ms per run on one thread, against 15.1 with
    // 'extended' (timed in turn on 2026-12-01, onnxruntime-node 1.30), with the same embedding to 4e-7.
    graphOptimizationLevel: 'all',
    // Spinning worker threads double latency on a shared 2-core machine.
    extra: { session: { 'intra_op.allow_spinning': '0' } },
  };
}

async function loadVerified(dir: string, name: ModelName, threads: number): Promise<ort.InferenceSession> {
  const { file, sha256 } = MODEL_FILES[name];
  const location = path.join(dir, file);
  const bytes = await readFile(location);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) {
    throw new ModelIntegrityError(`${location} has sha256 ${actual}, expected ${sha256}; refusing to load a different model`);
  }
  // Load from the verified bytes, not the path, so the file cannot change between check and use.
  return ort.InferenceSession.create(bytes, sessionOptions(threads));
}

export async function loadModels(dir: string, threads: number): Promise<ModelSessions> {
  const names = Object.keys(MODEL_FILES) as ModelName[];
  const sessions = await Promise.all(names.map((name) => loadVerified(dir, name, threads)));
  return Object.fromEntries(names.map((name, i) => [name, sessions[i]!])) as ModelSessions;
}

/** Runs a single-input model and returns its named outputs' data. */
export async function runModel(
  session: ort.InferenceSession,
  input: Float32Array,
  dims: readonly number[],
): Promise<Record<string, Float32Array>> {
  const results = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
  return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]));
}

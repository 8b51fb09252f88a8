/** The local face engine: onnxruntime-node + sharp behind the FaceEngine contract of ./types. */
import { decodeImage, type RgbImage } from './decode';
import { detectFaces, type PixelBox } from './detect';
import { alignFace, embedAlignedFace, estimatePose, faceQuality, locateFivePoints, scoreLiveness } from './face';
import { DEFAULT_MODEL_DIR, loadModels, MODEL_FILES, type ModelSessions } from './models';
import { cosine, readCalibration, similarityFromCosine } from './similarity';
import type { AnalysedImage, DetectedFace, FaceEngine, LandmarkType, NormalisedBox, RawImage, ScannedFrame } from './types';

export * from './types';
export { ModelIntegrityError } from './models';

export interface FaceEngineOptions {
  /** Directory holding the four .onnx files; defaults to local/models. */
  modelDir?: string;
  /** onnxruntime intra-op threads per model; default 2 (with spinning off), which halved embedding time on 2 cores. */
  threads?: number;
  /** Calibration JSON (k, c, t90); defaults to ./calibration.json next to this file. */
  calibrationFile?: string;
}

const LANDMARK_TYPES: readonly LandmarkType[] = ['eyeLeft', 'eyeRight', 'nose', 'mouthLeft', 'mouthRight'];

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function normalisedBox(box: PixelBox, image: RgbImage): NormalisedBox {
  const left = clamp01(box.x1 / image.width);
  const top = clamp01(box.y1 / image.height);
  return {
    left,
    top,
    width: clamp01(box.x2 / image.width) - left,
    height: clamp01(box.y2 / image.height) - top,
  };
}

function pixelBox(box: NormalisedBox, image: RgbImage): PixelBox {
  return {
    x1: box.left * image.width,
    y1: box.top * image.height,
    x2: (box.left + box.width) * image.width,
    y2: (box.top + box.height) * image.height,
    score: 1,
  };
}

async function describeFace(models: ModelSessions, image: RgbImage, box: PixelBox, options = { mirror: true }): Promise<DetectedFace> {
  const points = await locateFivePoints(models.landmark, image, box);
  const aligned = alignFace(image, points);
  const embedding = await embedAlignedFace(models.feature, aligned, options);
  return {
    box: normalisedBox(box, image),
    confidence: box.score * 100,
    landmarks: points.map((p, i) => ({ type: LANDMARK_TYPES[i]!, x: p.x / image.width, y: p.y / image.height })),
    pose: estimatePose(points),
    quality: faceQuality(aligned),
    embedding,
  };
}

async function largestFacesFirst(models: ModelSessions, image: RgbImage): Promise<PixelBox[]> {
  const boxes = await detectFaces(models.detect, image);
  return boxes.sort((p, q) => (q.x2 - q.x1) * (q.y2 - q.y1) - (p.x2 - p.x1) * (p.y2 - p.y1));
}

export async function createFaceEngine(options: FaceEngineOptions = {}): Promise<FaceEngine> {
  const threads = options.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1 || threads > 16) throw new Error(`threads must be an integer 1..16, got ${threads}`);
  const calibration = readCalibration(options.calibrationFile);
  const models = await loadModels(options.modelDir ?? DEFAULT_MODEL_DIR, threads);
  return {
    modelVersion: `faceplugin-0.0.1/${MODEL_FILES.feature.sha256.slice(0, 12)}`,

    async analyse(input: Buffer | RawImage): Promise<AnalysedImage> {
      const image = await decodeImage(input);
      const faces: DetectedFace[] = [];
      // One face at a time: the models already use the CPU budget, parallel runs would only contend.
      for (const box of await largestFacesFirst(models, image)) faces.push(await describeFace(models, image, box));
      return { width: image.width, height: image.height, faces };
    },

    similarity(a: Float32Array, b: Float32Array): number {
      return similarityFromCosine(cosine(a, b), calibration);
    },

    async liveProbability(input: Buffer | RawImage, face: DetectedFace): Promise<number> {
      const image = await decodeImage(input);
      return scoreLiveness(models.liveness, image, pixelBox(face.box, image));
    },

    async scanFrame(input: RawImage, { describeSingleFace }: { describeSingleFace: boolean }): Promise<ScannedFrame> {
      const image = await decodeImage(input);
      const boxes = await largestFacesFirst(models, image);
      const faces = boxes.map((box) => ({ box: normalisedBox(box, image), confidence: box.score * 100 }));
      const [only] = boxes;
      if (!describeSingleFace || boxes.length !== 1 || !only) return { faces };
      // Without the mirror run: a frame's embedding is only compared with the same video's other frames.
      const face = await describeFace(models, image, only, { mirror: false });
      return { faces, described: { face, live: await scoreLiveness(models.liveness, image, only) } };
    },
  };
}

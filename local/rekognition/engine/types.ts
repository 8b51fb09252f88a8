/** The face engine's contract: the Rekognition server and the liveness scorer depend on this, not on the models. */

/** A rectangle in ratios of the image's width and height (0-1), as Rekognition's BoundingBox. */
export interface NormalisedBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export type LandmarkType = 'eyeLeft' | 'eyeRight' | 'nose' | 'mouthLeft' | 'mouthRight';

export interface DetectedFace {
  box: NormalisedBox;
  /** Detector confidence, 0-100. */
  confidence: number;
  /** Points in ratios of the image's width and height. */
  landmarks: { type: LandmarkType; x: number; y: number }[];
  /** Degrees, Rekognition's convention (yaw and pitch about -90..90, roll -180..180). */
  pose: { roll: number; yaw: number; pitch: number };
  /** 0-100, Rekognition's ImageQuality scale. */
  quality: { brightness: number; sharpness: number };
  /** L2-normalised embedding of the aligned face. */
  embedding: Float32Array;
}

/** A face found in a frame without looking closer: where it is, and how sure the detector is. */
export type LocatedFace = Pick<DetectedFace, 'box' | 'confidence'>;

/** A video frame as liveness reads it: every face located, and on request the single face looked at closely. */
export interface ScannedFrame {
  /** Largest face first. */
  faces: LocatedFace[];
  /**
   * When asked for and the frame shows exactly one face: that face described, and its anti-spoof probability (0-1).
   * Its embedding is of the face alone, without analyse()'s mirror run: fit to compare with the same video's frames.
   */
  described?: { face: DetectedFace; live: number };
}

export interface AnalysedImage {
  /** Size after EXIF orientation and any shrink-on-decode. */
  width: number;
  height: number;
  /** Largest face first. */
  faces: DetectedFace[];
}

/** Raw interleaved RGB pixels, e.g. a decoded video frame. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

export interface FaceEngine {
  /** The value the server reports as FaceModelVersion. */
  readonly modelVersion: string;
  /** Decodes (JPEG or PNG bytes, or raw RGB), finds every face, and embeds each. Throws ImageFormatError / ImageDimensionError. */
  analyse(image: Buffer | RawImage): Promise<AnalysedImage>;
  /** Rekognition-scale Similarity 0-100 for two embeddings, calibrated on real face pairs. */
  similarity(a: Float32Array, b: Float32Array): number;
  /** Probability 0-1 that the face is a live person (anti-spoof model), on a colour camera frame. */
  liveProbability(image: Buffer | RawImage, face: DetectedFace): Promise<number>;
  /**
   * One video frame: locates every face (detection only, the cheap part) and, with `describeSingleFace` and exactly
   * one face, describes it (landmarks, pose, quality, embedding) and scores it with the anti-spoof model. Where frames
   * wait for the engine (the pool), a lower `rank` is served first.
   */
  scanFrame(image: RawImage, options: { describeSingleFace: boolean; rank?: number }): Promise<ScannedFrame>;
}

/** The bytes are not a JPEG or PNG that can be decoded. */
export class ImageFormatError extends Error {
  override name = 'ImageFormatError';
}

/** The image is smaller than the engine can use (under 80 px a side) or larger than its pixel limit. */
export class ImageDimensionError extends Error {
  override name = 'ImageDimensionError';
}

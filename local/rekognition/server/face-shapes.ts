/**
 * The engine's faces in Rekognition's shapes (FaceDetail, ComparedFace, Face), and Rekognition's QualityFilter.
 *
 * Quality bars (a face failing a bar gets the reason; AUTO uses the MEDIUM bars):
 *
 * | reason | measure | LOW | MEDIUM | HIGH |
 * |---|---|---|---|---|
 * | SMALL_BOUNDING_BOX | shorter side of the face box in px of the analysed image (photos over 1600 px are shrunk) | < 32 | < 40 | < 64 |
 * | LOW_CONFIDENCE | detector confidence | < 50 | < 70 | < 90 |
 * | EXTREME_POSE | abs(yaw) or abs(pitch) in degrees | > 60 / 45 | > 45 / 35 | > 30 / 25 |
 * | LOW_BRIGHTNESS | Quality.Brightness | < 10 | < 15 | < 25 |
 * | LOW_SHARPNESS | Quality.Sharpness | < 10 | < 15 | < 30 |
 * | LOW_FACE_QUALITY | a landmark (eye, nose, mouth corner) outside the image: the face is cut off | any | any | any |
 *
 * Measured on 230 real photos (deepface, LFW, ORL, face-api.js sets), the lowest Brightness was 18, the lowest
 * Sharpness 23 (LFW's small JPEGs), the smallest face 59 px, and 98% had yaw under 65 and pitch under 35 degrees:
 * MEDIUM passes ordinary photos and refuses the clearly unusable.
 *
 * DetectFaces with Attributes ALL returns the same members as DEFAULT: the engine measures box, landmarks, pose,
 * quality and confidence, and nothing here guesses age, emotions or the rest, so those members are left out.
 */
import type { AnalysedImage, DetectedFace } from '../engine/types';
import type { BoundingBox } from '../../aws/bounding-box';
import type { StoredFace } from '../collections/store';

export const QUALITY_FILTERS = ['NONE', 'AUTO', 'LOW', 'MEDIUM', 'HIGH'] as const;
export type QualityFilter = (typeof QUALITY_FILTERS)[number];

export type UnindexedReason =
  | 'EXCEEDS_MAX_FACES'
  | 'EXTREME_POSE'
  | 'LOW_BRIGHTNESS'
  | 'LOW_SHARPNESS'
  | 'LOW_CONFIDENCE'
  | 'SMALL_BOUNDING_BOX'
  | 'LOW_FACE_QUALITY';

interface QualityBar {
  minFacePixels: number;
  minConfidence: number;
  maxYaw: number;
  maxPitch: number;
  minBrightness: number;
  minSharpness: number;
}

const QUALITY_BARS: Record<'LOW' | 'MEDIUM' | 'HIGH', QualityBar> = {
  LOW: { minFacePixels: 32, minConfidence: 50, maxYaw: 60, maxPitch: 45, minBrightness: 10, minSharpness: 10 },
  MEDIUM: { minFacePixels: 40, minConfidence: 70, maxYaw: 45, maxPitch: 35, minBrightness: 15, minSharpness: 15 },
  HIGH: { minFacePixels: 64, minConfidence: 90, maxYaw: 30, maxPitch: 25, minBrightness: 25, minSharpness: 30 },
};

/** Why the face falls below the filter's bar; empty when it passes (always, for NONE). */
export function qualityReasons(face: DetectedFace, image: AnalysedImage, filter: QualityFilter): UnindexedReason[] {
  if (filter === 'NONE') return [];
  const bar = QUALITY_BARS[filter === 'AUTO' ? 'MEDIUM' : filter];
  const reasons: UnindexedReason[] = [];
  const facePixels = Math.min(face.box.width * image.width, face.box.height * image.height);
  if (facePixels < bar.minFacePixels) reasons.push('SMALL_BOUNDING_BOX');
  if (face.confidence < bar.minConfidence) reasons.push('LOW_CONFIDENCE');
  if (Math.abs(face.pose.yaw) > bar.maxYaw || Math.abs(face.pose.pitch) > bar.maxPitch) reasons.push('EXTREME_POSE');
  if (face.quality.brightness < bar.minBrightness) reasons.push('LOW_BRIGHTNESS');
  if (face.quality.sharpness < bar.minSharpness) reasons.push('LOW_SHARPNESS');
  if (face.landmarks.some(({ x, y }) => x < 0 || x > 1 || y < 0 || y > 1)) reasons.push('LOW_FACE_QUALITY');
  return reasons;
}

export function boundingBox(face: DetectedFace): BoundingBox {
  return { Width: face.box.width, Height: face.box.height, Left: face.box.left, Top: face.box.top };
}

/** The members DetectFaces returns for DEFAULT (and, honestly, for ALL); ComparedFace has the same ones. */
export function faceDetail(face: DetectedFace): Record<string, unknown> {
  return {
    BoundingBox: boundingBox(face),
    Landmarks: face.landmarks.map(({ type, x, y }) => ({ Type: type, X: x, Y: y })),
    Pose: { Roll: face.pose.roll, Yaw: face.pose.yaw, Pitch: face.pose.pitch },
    Quality: { Brightness: face.quality.brightness, Sharpness: face.quality.sharpness },
    Confidence: face.confidence,
  };
}

/** A collection face as Rekognition's `Face`. */
export function faceRecord(face: StoredFace): Record<string, unknown> {
  return {
    FaceId: face.faceId,
    BoundingBox: face.boundingBox,
    ImageId: face.imageId,
    ...(face.externalImageId !== undefined ? { ExternalImageId: face.externalImageId } : {}),
    Confidence: face.confidence,
    IndexFacesModelVersion: face.indexFacesModelVersion,
  };
}

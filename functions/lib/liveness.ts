/**
 * Face Liveness: issuing a session bound to a user, and the full check of an answer. The check passes only when
 * every condition holds; each early return names the failed condition for the log and the metrics, never for the
 * client. A first passed check confirms a provisional enrollment.
 */
import {
  CompareFacesCommand,
  type CompareFacesCommandOutput,
  CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand,
} from '@aws-sdk/client-rekognition';
import { requestOptions } from './aws-clients';
import { confirmProvisionalEnrollment } from './enrollment';
import type { Deps } from './parts';
import { getCurrentEnrollment, saveFaceSignIn, saveLivenessSession } from './store';

/** Liveness output goes here, so a reference image elsewhere was not produced for this user's session. */
export const livenessPrefix = (sub: string) => `liveness/${sub}/`;

/** How many extra audit images Rekognition stores beside the reference image. */
const AUDIT_IMAGES_LIMIT = 2;

export async function startLivenessSession({ config, clients, store }: Deps<'rekognition'>, sub: string, nowMs: number): Promise<string> {
  const { bucketName, livenessSessionTtlSeconds } = config;
  const { SessionId } = await clients.rekognition.send(
    new CreateFaceLivenessSessionCommand({
      Settings: {
        OutputConfig: { S3Bucket: bucketName, S3KeyPrefix: livenessPrefix(sub) },
        AuditImagesLimit: AUDIT_IMAGES_LIMIT,
      },
    }),
    requestOptions(),
  );
  if (!SessionId) throw new Error('CreateFaceLivenessSession returned no SessionId');
  await saveLivenessSession(store, sub, SessionId, nowMs + livenessSessionTtlSeconds * 1000);
  return SessionId;
}

export type LivenessFailure =
  | 'NOT_STREAMED'
  | 'NOT_SUCCEEDED'
  | 'LOW_CONFIDENCE'
  | 'REFERENCE_OUTSIDE_BUCKET'
  | 'NOT_ENROLLED'
  | 'FACE_COUNT'
  | 'NO_MATCH'
  | 'DUPLICATE_FACE';

export type LivenessVerdict = { passed: true } | { passed: false; failure: LivenessFailure; detail?: string };

/**
 * Failed face checks that reached Rekognition with a streamed session: the ones that count toward lockout.
 * A session nobody streamed, or a refusal at confirmation, is not evidence of an attack on the face check.
 */
export const FACE_CHECK_FAILURES: ReadonlySet<LivenessFailure> = new Set<LivenessFailure>([
  'NOT_SUCCEEDED',
  'LOW_CONFIDENCE',
  'NOT_ENROLLED',
  'FACE_COUNT',
  'NO_MATCH',
]);

/** Rekognition statuses of a session that was never streamed to completion by anyone. */
const NOT_STREAMED_STATUSES = new Set(['CREATED', 'IN_PROGRESS', 'EXPIRED']);

/**
 * Checks a liveness session that was issued to `sub` and has just been consumed. For an unknown username (a
 * pseudo-identity with no enrollment) the same calls are made, so it takes as long, and it never passes.
 */
export async function checkLivenessSession(
  deps: Deps<'rekognition' | 's3'>,
  sub: string,
  sessionId: string,
  nowMs: number,
): Promise<LivenessVerdict> {
  const { config, clients, store } = deps;
  const { bucketName, livenessThreshold, similarityThreshold } = config;
  const results = await clients.rekognition.send(new GetFaceLivenessSessionResultsCommand({ SessionId: sessionId }), requestOptions());
  const status = results.Status ?? 'UNKNOWN';
  if (NOT_STREAMED_STATUSES.has(status)) return { passed: false, failure: 'NOT_STREAMED', detail: status };
  if (status !== 'SUCCEEDED') return { passed: false, failure: 'NOT_SUCCEEDED', detail: status };
  // The log's detail is the score: a genuine face scored just under the threshold reads differently from a photo.
  // Written as "not at least" so that a score that is not a number (NaN) fails too.
  if (!((results.Confidence ?? 0) >= livenessThreshold)) {
    return { passed: false, failure: 'LOW_CONFIDENCE', detail: String(results.Confidence) };
  }
  const reference = results.ReferenceImage?.S3Object;
  if (reference?.Bucket !== bucketName || !reference.Name?.startsWith(livenessPrefix(sub))) {
    return { passed: false, failure: 'REFERENCE_OUTSIDE_BUCKET' };
  }
  const referenceImage = { S3Object: { Bucket: bucketName, Name: reference.Name } };
  const enrollment = await getCurrentEnrollment(store, sub, nowMs);
  // No enrollment: compare the reference with itself, so this refusal costs what a real comparison costs.
  const comparison = await clients.rekognition.send(
    new CompareFacesCommand({
      SourceImage: enrollment ? { S3Object: { Bucket: bucketName, Name: enrollment.photoKey } } : referenceImage,
      TargetImage: referenceImage,
      SimilarityThreshold: similarityThreshold,
    }),
    requestOptions(),
  );
  if (!enrollment) return { passed: false, failure: 'NOT_ENROLLED' };
  const mismatch = referenceMismatch(comparison, similarityThreshold);
  if (mismatch) return { passed: false, ...mismatch };
  if (enrollment.state === 'PROVISIONAL' && !(await confirmProvisionalEnrollment(deps, sub, enrollment, nowMs))) {
    return { passed: false, failure: 'DUPLICATE_FACE' };
  }
  // What a replacement of the ID photo, asked for within the freshness window, must match.
  await saveFaceSignIn(store, sub, { sessionId, referenceKey: reference.Name, passedAtMs: nowMs });
  return { passed: true };
}

/**
 * Why a CompareFaces of a photo (source) with a liveness reference image (target) is not a match: the reference
 * must show exactly one face (a second person in frame is not a clean proof), and it must be the photo's face.
 */
export function referenceMismatch(
  comparison: CompareFacesCommandOutput,
  similarityThreshold: number,
): { failure: 'FACE_COUNT' | 'NO_MATCH'; detail?: string } | undefined {
  const matches = comparison.FaceMatches ?? [];
  const facesInReference = matches.length + (comparison.UnmatchedFaces ?? []).length;
  if (facesInReference !== 1) return { failure: 'FACE_COUNT', detail: String(facesInReference) };
  if (!((matches[0]?.Similarity ?? 0) >= similarityThreshold)) return { failure: 'NO_MATCH' };
  return undefined;
}

/**
 * Face Liveness: issuing a session bound to a user, and the full check of an answer. The check passes only when
 * every condition holds; each early return names the failed condition for the log, never for the client.
 */
import { randomUUID } from 'node:crypto';
import {
  CompareFacesCommand,
  CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand,
} from '@aws-sdk/client-rekognition';
import { rekognition } from './aws-clients';
import { config } from './config';
import { consumeLivenessSession, getActiveEnrollment, saveLivenessSession } from './store';

/** Liveness output goes here, so a reference image elsewhere was not produced for this user's session. */
export const livenessPrefix = (sub: string) => `liveness/${sub}/`;

/** How many extra audit images Rekognition stores beside the reference image. */
const AUDIT_IMAGES_LIMIT = 2;

export async function startLivenessSession(sub: string): Promise<string> {
  const { bucketName, livenessSessionTtlSeconds } = config();
  const { SessionId } = await rekognition().send(
    new CreateFaceLivenessSessionCommand({
      Settings: {
        OutputConfig: { S3Bucket: bucketName, S3KeyPrefix: livenessPrefix(sub) },
        AuditImagesLimit: AUDIT_IMAGES_LIMIT,
      },
    }),
  );
  if (!SessionId) throw new Error('CreateFaceLivenessSession returned no SessionId');
  await saveLivenessSession(sub, SessionId, Date.now() + livenessSessionTtlSeconds * 1000);
  return SessionId;
}

/** A session id for a user that does not exist: the same shape as Rekognition's, tied to nothing. */
export function decoySessionId(): string {
  return randomUUID();
}

export type LivenessVerdict =
  | { passed: true; similarity: number }
  | {
      passed: false;
      failure:
        | 'ANSWER_MISMATCH'
        | 'SESSION_NOT_AVAILABLE'
        | 'NOT_SUCCEEDED'
        | 'LOW_CONFIDENCE'
        | 'REFERENCE_OUTSIDE_BUCKET'
        | 'NOT_ENROLLED'
        | 'FACE_COUNT'
        | 'NO_MATCH';
      detail?: string;
    };

export async function checkLiveness(sub: string, issuedSessionId: string, answer: string): Promise<LivenessVerdict> {
  const { bucketName, livenessThreshold, similarityThreshold } = config();
  if (!issuedSessionId || answer !== issuedSessionId) return { passed: false, failure: 'ANSWER_MISMATCH' };
  // Consume first: a replay fails even if it races the original answer.
  if (!(await consumeLivenessSession(sub, issuedSessionId, Date.now()))) {
    return { passed: false, failure: 'SESSION_NOT_AVAILABLE' };
  }
  const results = await rekognition().send(new GetFaceLivenessSessionResultsCommand({ SessionId: issuedSessionId }));
  if (results.Status !== 'SUCCEEDED') return { passed: false, failure: 'NOT_SUCCEEDED', detail: results.Status };
  if ((results.Confidence ?? 0) < livenessThreshold) return { passed: false, failure: 'LOW_CONFIDENCE' };
  const reference = results.ReferenceImage?.S3Object;
  if (reference?.Bucket !== bucketName || !reference.Name?.startsWith(livenessPrefix(sub))) {
    return { passed: false, failure: 'REFERENCE_OUTSIDE_BUCKET' };
  }
  const enrollment = await getActiveEnrollment(sub);
  if (!enrollment) return { passed: false, failure: 'NOT_ENROLLED' };
  const comparison = await rekognition().send(
    new CompareFacesCommand({
      SourceImage: { S3Object: { Bucket: bucketName, Name: enrollment.key } },
      TargetImage: { S3Object: { Bucket: bucketName, Name: reference.Name } },
      SimilarityThreshold: similarityThreshold,
    }),
  );
  const matches = comparison.FaceMatches ?? [];
  // The reference image must show exactly one face: a second person in frame is not a clean proof.
  const facesInReference = matches.length + (comparison.UnmatchedFaces ?? []).length;
  if (facesInReference !== 1) return { passed: false, failure: 'FACE_COUNT', detail: String(facesInReference) };
  const similarity = matches[0]?.Similarity ?? 0;
  if (similarity < similarityThreshold) return { passed: false, failure: 'NO_MATCH' };
  return { passed: true, similarity };
}

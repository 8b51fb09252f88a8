/**
 * Replacing the ID photo of a confirmed enrollment, from a fresh face sign-in. The upload is issued like an
 * enrollment upload (server-chosen key, pinned policy, single use) and decided by the same routine, which for a
 * replacement also requires the new face to match the liveness reference image of that sign-in
 * (functions/lib/enrollment.ts). Its status can be polled by its upload id.
 */
import { enrollmentKey } from './enrollment-key';
import { isLockedOut } from './lockout';
import type { Deps } from './parts';
import { getActiveEnrollment, getCurrentEnrollment, getEnrollment, getFaceSignIn, type RejectionReason } from './store';
import { Refusal } from './trigger';
import { issueEnrollmentUpload } from './upload';

export interface ReplacementUpload {
  uploadId: string;
  upload: { url: string; fields: Record<string, string> };
  maxBytes: number;
}

export type ReplacementStatus = { status: 'PENDING' } | { status: 'ACCEPTED' } | { status: 'REJECTED'; reason: RejectionReason };

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Issues the upload for a new ID photo; refused unless the user's face passed a check within the window. */
export async function issueReplacementUpload(deps: Deps<'s3'>, sub: string, nowMs: number): Promise<ReplacementUpload> {
  const { config, store } = deps;
  if (await isLockedOut(store, sub, nowMs)) throw new Refusal('the user is locked out');
  const current = await getCurrentEnrollment(store, sub, nowMs);
  if (current?.state !== 'CONFIRMED') throw new Refusal('there is no confirmed enrollment to replace');
  const signIn = await getFaceSignIn(store, sub);
  if (!signIn || nowMs - signIn.passedAtMs > config.freshSignInMinutes * 60_000) {
    throw new Refusal('no face check passed within the freshness window');
  }
  const { key, url, fields } = await issueEnrollmentUpload(deps, sub, nowMs, {
    referenceKey: signIn.referenceKey,
    replacesFaceId: current.faceId,
  });
  const uploadId = key.slice(key.lastIndexOf('/') + 1, -'.jpg'.length);
  return { uploadId, upload: { url, fields }, maxBytes: config.enrollmentMaxBytes };
}

/**
 * Where the decision on a replacement upload of this user stands. ACCEPTED only once the photo is the enrollment:
 * the decision is written first, then the enrollment is swapped, and a poll between the two reads PENDING.
 */
export async function replacementStatus({ store }: Deps<never>, sub: string, uploadId: string): Promise<ReplacementStatus> {
  if (!UPLOAD_ID.test(uploadId)) throw new Refusal('the upload id is not a UUID');
  const record = await getEnrollment(store, sub, enrollmentKey(sub, uploadId));
  if (!record?.replacement) throw new Refusal('no replacement upload of this user has this id');
  if (record.status === 'REJECTED') return { status: 'REJECTED', reason: record.reason };
  if (record.status === 'ISSUED') return { status: 'PENDING' };
  return { status: (await getActiveEnrollment(store, sub))?.key === record.key ? 'ACCEPTED' : 'PENDING' };
}

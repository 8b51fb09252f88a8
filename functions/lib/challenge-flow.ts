/**
 * The sign-in state machine shared by define and create: ENROLL_ID_PHOTO (only while the user has no accepted
 * enrolment), then FACE_LIVENESS, then tokens. A session that does not follow it was not produced by our
 * triggers and is refused.
 */

export const ENROLL_ID_PHOTO = 'ENROLL_ID_PHOTO';
export const FACE_LIVENESS = 'FACE_LIVENESS';
export type Step = typeof ENROLL_ID_PHOTO | typeof FACE_LIVENESS;

export interface ChallengeResult {
  challengeName: string;
  challengeResult: boolean;
  challengeMetadata?: string;
}

export type SessionProgress =
  | { valid: false; why: string }
  | { valid: true; wrongAnswers: number; enrolled: boolean; livenessStarted: boolean; livenessPassed: boolean };

export function readSession(session: readonly ChallengeResult[]): SessionProgress {
  let wrongAnswers = 0;
  let enrolled = false;
  let livenessStarted = false;
  let livenessPassed = false;
  for (const entry of session) {
    if (entry.challengeName !== 'CUSTOM_CHALLENGE') return { valid: false, why: `challenge ${entry.challengeName}` };
    if (livenessPassed) return { valid: false, why: 'challenge after a passed liveness check' };
    if (entry.challengeMetadata === ENROLL_ID_PHOTO) {
      if (enrolled || livenessStarted) return { valid: false, why: 'enrolment out of order' };
      enrolled = entry.challengeResult;
    } else if (entry.challengeMetadata === FACE_LIVENESS) {
      livenessStarted = true;
      livenessPassed = entry.challengeResult;
    } else {
      return { valid: false, why: `unknown step ${String(entry.challengeMetadata)}` };
    }
    if (!entry.challengeResult) wrongAnswers += 1;
  }
  return { valid: true, wrongAnswers, enrolled, livenessStarted, livenessPassed };
}

/** The next step of a valid session; `hasAcceptedEnrollment` is only consulted when the session does not tell. */
export async function nextStep(
  progress: { enrolled: boolean; livenessStarted: boolean },
  hasAcceptedEnrollment: () => Promise<boolean>,
): Promise<Step> {
  if (progress.enrolled || progress.livenessStarted) return FACE_LIVENESS;
  return (await hasAcceptedEnrollment()) ? FACE_LIVENESS : ENROLL_ID_PHOTO;
}

/**
 * The sign-in state machine shared by define and create. A user with no current enrollment proves the email first
 * (EMAIL_CODE), then uploads the ID photo (ENROLL_ID_PHOTO), then passes FACE_LIVENESS; an enrolled user (and an
 * unknown username, under its pseudo-identity) goes straight to FACE_LIVENESS. Tokens only after a passed
 * FACE_LIVENESS. A session that does not follow this order was not produced by our triggers and is refused.
 */

export const EMAIL_CODE = 'EMAIL_CODE';
export const ENROLL_ID_PHOTO = 'ENROLL_ID_PHOTO';
export const FACE_LIVENESS = 'FACE_LIVENESS';
export type Step = typeof EMAIL_CODE | typeof ENROLL_ID_PHOTO | typeof FACE_LIVENESS;

export interface ChallengeResult {
  challengeName: string;
  challengeResult: boolean;
  challengeMetadata?: string;
}

export interface Progress {
  wrongAnswers: number;
  emailProven: boolean;
  enrolled: boolean;
  livenessStarted: boolean;
  livenessPassed: boolean;
}

export type SessionProgress = ({ valid: true } & Progress) | { valid: false; why: string };

export function readSession(session: readonly ChallengeResult[]): SessionProgress {
  const progress: Progress = { wrongAnswers: 0, emailProven: false, enrolled: false, livenessStarted: false, livenessPassed: false };
  for (const entry of session) {
    if (entry.challengeName !== 'CUSTOM_CHALLENGE') return { valid: false, why: `challenge ${entry.challengeName}` };
    if (progress.livenessPassed) return { valid: false, why: 'challenge after a passed liveness check' };
    switch (entry.challengeMetadata) {
      case EMAIL_CODE:
        if (progress.emailProven || progress.livenessStarted) return { valid: false, why: 'email code out of order' };
        progress.emailProven = entry.challengeResult;
        break;
      case ENROLL_ID_PHOTO:
        // An upload is only ever offered after the email was proven in this same session.
        if (!progress.emailProven || progress.enrolled || progress.livenessStarted) return { valid: false, why: 'enrollment out of order' };
        progress.enrolled = entry.challengeResult;
        break;
      case FACE_LIVENESS:
        progress.livenessStarted = true;
        progress.livenessPassed = entry.challengeResult;
        break;
      default:
        return { valid: false, why: `unknown step ${String(entry.challengeMetadata)}` };
    }
    if (!entry.challengeResult) progress.wrongAnswers += 1;
  }
  return { valid: true, ...progress };
}

/**
 * The next step of a valid session for a known user; `hasCurrentEnrollment` is only consulted when the session
 * itself does not tell. A user enrolled meanwhile (another session) is never offered a second upload.
 */
export async function nextStep(progress: Progress, hasCurrentEnrollment: () => Promise<boolean>): Promise<Step> {
  if (progress.enrolled || progress.livenessStarted) return FACE_LIVENESS;
  if (await hasCurrentEnrollment()) return FACE_LIVENESS;
  return progress.emailProven ? ENROLL_ID_PHOTO : EMAIL_CODE;
}

/**
 * Create auth challenge: an email code for a user without a current enrollment, then an ID-photo upload, then a
 * liveness session. An unknown username gets a real liveness session under its pseudo-identity, made with the
 * same calls as an enrolled user's, so neither the challenge nor the session behaves differently.
 */
import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import { EMAIL_CODE, ENROLL_ID_PHOTO, FACE_LIVENESS, nextStep, readSession } from '../lib/challenge-flow';
import { EMAIL_CODE_LENGTH, emailCodeChallengeParameters, issueEmailCode, maskEmail, sendEmailCode } from '../lib/email-code';
import { ENROLLMENT_CONTENT_TYPE } from '../lib/enrollment-key';
import { startLivenessSession } from '../lib/liveness';
import { describeError, logger } from '../lib/logger';
import { countVerdict } from '../lib/metrics';
import type { Parts } from '../lib/parts';
import { Pseudonyms } from '../lib/pseudonym';
import {
  getCurrentEnrollment,
  getEmailCode,
  removeEmailCode,
  saveEmailCodeUnlessOutstanding,
  Store,
  type StoredEmailCode,
} from '../lib/store';
import { Refusal, withErrorPolicy } from '../lib/trigger';
import { awaitUploadDecisions, issueEnrollmentUpload } from '../lib/upload';

type Challenge = CreateAuthChallengeTriggerEvent['response'];

/**
 * How long create waits, after a refused photo answer, for a photo of the user still being checked (of its 4.5 s:
 * the upload or liveness session it then issues needs the rest).
 */
export const PENDING_UPLOAD_WAIT_MS = 3000;

export function makeHandler(parts: Parts<'dynamo' | 'rekognition' | 's3' | 'ses'>) {
  const { config, clock } = parts;
  const store = new Store(parts.clients, config.tableName);
  const deps = { config, clients: parts.clients, clock, store };
  const pseudonyms = new Pseudonyms(store, clock);

  async function livenessChallenge(sub: string, nowMs: number): Promise<Challenge> {
    const sessionId = await startLivenessSession(deps, sub, nowMs);
    return {
      publicChallengeParameters: { step: FACE_LIVENESS, sessionId, region: config.region },
      privateChallengeParameters: { step: FACE_LIVENESS, sessionId },
      challengeMetadata: FACE_LIVENESS,
    };
  }

  /** The user's outstanding code, or a new one, sent now: one email per code, however many sign-ins ask for it. */
  async function outstandingEmailCode(sub: string, email: string, nowMs: number): Promise<StoredEmailCode> {
    // Twice at most: the outstanding code may be used or expire between the conditional write and the read.
    for (let attempt = 0; attempt < 2; attempt++) {
      const issued = issueEmailCode(await pseudonyms.key(), nowMs, email);
      if (await saveEmailCodeUnlessOutstanding(store, sub, issued.stored, nowMs)) {
        try {
          await sendEmailCode(deps, email, issued.code);
        } catch (error) {
          countVerdict('EmailCodeFailed', 'SEND_FAILED');
          // Not outstanding, since nobody has it: the next sign-in sends a new one.
          await removeEmailCode(store, sub, issued.stored.salt).catch((cleanup: unknown) =>
            logger.warn('unsent email code not removed: sign-ins ask for it until it expires', { sub, ...describeError(cleanup) }),
          );
          throw error;
        }
        countVerdict('EmailCodeSent');
        logger.info('email code sent', { sub });
        return issued.stored;
      }
      const outstanding = await getEmailCode(store, sub);
      if (outstanding && outstanding.expiresAtMs > nowMs && outstanding.addressHash === issued.stored.addressHash) {
        countVerdict('EmailCodeAskedAgain');
        logger.info('email code outstanding: asked for again, no email sent', { sub });
        return outstanding;
      }
    }
    throw new Refusal('the outstanding email code changed twice while it was read');
  }

  async function emailCodeChallenge(sub: string, email: string | undefined, nowMs: number): Promise<Challenge> {
    if (!email) throw new Refusal('the user has no email address');
    const code = await outstandingEmailCode(sub, email, nowMs);
    return {
      publicChallengeParameters: { step: EMAIL_CODE, destination: maskEmail(email), codeLength: String(EMAIL_CODE_LENGTH) },
      privateChallengeParameters: { step: EMAIL_CODE, ...emailCodeChallengeParameters(code) },
      challengeMetadata: EMAIL_CODE,
    };
  }

  async function enrollmentChallenge(sub: string, nowMs: number): Promise<Challenge> {
    const upload = await issueEnrollmentUpload(deps, sub, nowMs);
    logger.info('enrollment challenge issued', { sub, key: upload.key });
    return {
      publicChallengeParameters: {
        step: ENROLL_ID_PHOTO,
        uploadUrl: upload.url,
        uploadFields: JSON.stringify(upload.fields),
        maxBytes: String(config.enrollmentMaxBytes),
        contentTypes: ENROLLMENT_CONTENT_TYPE,
      },
      privateChallengeParameters: { step: ENROLL_ID_PHOTO, key: upload.key },
      challengeMetadata: ENROLL_ID_PHOTO,
    };
  }

  async function create(event: CreateAuthChallengeTriggerEvent): Promise<CreateAuthChallengeTriggerEvent> {
    if (event.request.challengeName !== 'CUSTOM_CHALLENGE') throw new Refusal(`challenge ${event.request.challengeName}`);
    const progress = readSession(event.request.session ?? []);
    if (!progress.valid) throw new Refusal(`invalid session: ${progress.why}`);
    const nowMs = clock.now();
    const decoy = event.request.userNotFound === true;
    const sub = decoy ? await pseudonyms.sub(event.userName) : event.request.userAttributes.sub;
    if (!sub) throw new Refusal('the user has no sub attribute');
    // The same read for everyone: an unknown username's pseudo-identity simply has no enrollment.
    const enrolled = async () => {
      if ((await getCurrentEnrollment(store, sub, nowMs)) !== undefined || decoy) return true;
      const last = event.request.session?.at(-1);
      if (last?.challengeMetadata !== ENROLL_ID_PHOTO || last.challengeResult) return false;
      // Verify refused the photo answer; if only because the photo was still being checked, its decision may make the
      // user enrolled in a moment, and a second upload would be refused.
      await awaitUploadDecisions(deps, sub, PENDING_UPLOAD_WAIT_MS);
      return (await getCurrentEnrollment(store, sub, clock.now())) !== undefined;
    };
    const step = await nextStep(progress, enrolled);
    if (step === FACE_LIVENESS) {
      event.response = await livenessChallenge(sub, nowMs);
      // Counted for both kinds, so a decoy costs exactly what a real challenge costs; the reason tells them apart.
      countVerdict('LivenessChallenge', decoy ? 'DECOY' : 'USER');
      // The session id is the expected answer, so it is not logged.
      logger.info('liveness challenge issued', { sub });
    } else if (step === EMAIL_CODE) {
      event.response = await emailCodeChallenge(sub, event.request.userAttributes.email, nowMs);
    } else {
      event.response = await enrollmentChallenge(sub, nowMs);
    }
    return event;
  }

  return withErrorPolicy(create);
}

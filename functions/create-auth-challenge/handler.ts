/** Create auth challenge: an ID-photo upload for a user without an accepted enrolment, else a liveness session. */
import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import { ENROLL_ID_PHOTO, FACE_LIVENESS, nextStep, readSession } from '../lib/challenge-flow';
import { config } from '../lib/config';
import { IMAGE_CONTENT_TYPES } from '../lib/enrollment-key';
import { decoySessionId, startLivenessSession } from '../lib/liveness';
import { logEvent, logger } from '../lib/logger';
import { getActiveEnrollment } from '../lib/store';
import { chooseContentType, issueEnrollmentUpload } from '../lib/upload';

const { region, enrollmentMaxBytes } = config();

export const handler = async (event: CreateAuthChallengeTriggerEvent): Promise<CreateAuthChallengeTriggerEvent> => {
  logEvent(event);
  if (event.request.challengeName !== 'CUSTOM_CHALLENGE') {
    throw new Error(`only CUSTOM_CHALLENGE is supported, not ${event.request.challengeName}`);
  }
  const livenessChallenge = (sessionId: string) => {
    event.response = {
      publicChallengeParameters: { step: FACE_LIVENESS, sessionId, region },
      privateChallengeParameters: { step: FACE_LIVENESS, sessionId },
      challengeMetadata: FACE_LIVENESS,
    };
    return event;
  };

  // No user, no AWS calls: a random session id in the same parameters as a real challenge.
  if (event.request.userNotFound) return livenessChallenge(decoySessionId());
  const sub = event.request.userAttributes.sub;
  if (!sub) throw new Error('the user has no sub attribute');
  const progress = readSession(event.request.session ?? []);
  if (!progress.valid) throw new Error(`invalid session: ${progress.why}`);

  const step = await nextStep(progress, async () => (await getActiveEnrollment(sub)) !== undefined);
  if (step === FACE_LIVENESS) {
    const sessionId = await startLivenessSession(sub);
    // The session id is the expected answer, so it is not logged.
    logger.info('liveness challenge issued', { sub });
    return livenessChallenge(sessionId);
  }
  const upload = await issueEnrollmentUpload(sub, chooseContentType(event.request.clientMetadata?.contentType));
  logger.info('enrolment challenge issued', { sub, key: upload.key });
  event.response = {
    publicChallengeParameters: {
      step: ENROLL_ID_PHOTO,
      uploadUrl: upload.url,
      uploadFields: JSON.stringify(upload.fields),
      maxBytes: String(enrollmentMaxBytes),
      contentTypes: IMAGE_CONTENT_TYPES.join(','),
    },
    privateChallengeParameters: { step: ENROLL_ID_PHOTO, key: upload.key },
    challengeMetadata: ENROLL_ID_PHOTO,
  };
  return event;
};

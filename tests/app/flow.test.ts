import type { SignInOutput } from 'aws-amplify/auth';
import { nextFlowStep } from '../../app/src/flow';
import { answerMessage, livenessInterruptionMessage, signInStartMessage, signUpMessage } from '../../app/src/messages';

const liveness: SignInOutput = {
  isSignedIn: false,
  nextStep: {
    signInStep: 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE',
    additionalInfo: { step: 'FACE_LIVENESS', sessionId: 's-2', region: 'us-east-1' },
  },
};

const emailCode: SignInOutput = {
  isSignedIn: false,
  nextStep: {
    signInStep: 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE',
    additionalInfo: { step: 'EMAIL_CODE', destination: 'j***@e***.com', codeLength: '6' },
  },
};

const enroll: SignInOutput = {
  isSignedIn: false,
  nextStep: {
    signInStep: 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE',
    additionalInfo: {
      step: 'ENROLL_ID_PHOTO',
      uploadUrl: 'http://localhost:4569/b',
      uploadFields: '{"key":"enrollment/s/x.jpg"}',
      maxBytes: '5242880',
      contentTypes: 'image/jpeg',
    },
  },
};

function named(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('the next step of face sign-in', () => {
  it('signs in when Cognito is done', () => {
    expect(nextFlowStep({ isSignedIn: true, nextStep: { signInStep: 'DONE' } }, 'FACE_LIVENESS')).toEqual({ kind: 'signedIn' });
  });

  it('shows the first challenge of a new sign-in, the email code, as not refused', () => {
    expect(nextFlowStep(emailCode)).toEqual({
      kind: 'challenge',
      challenge: { step: 'EMAIL_CODE', destination: 'j***@e***.com', codeLength: 6 },
      previousRefused: false,
    });
  });

  it('moves from an accepted email code to the ID photo', () => {
    expect(nextFlowStep(enroll, 'EMAIL_CODE')).toMatchObject({
      kind: 'challenge',
      challenge: { step: 'ENROLL_ID_PHOTO' },
      previousRefused: false,
    });
  });

  it('moves from an accepted ID photo to the video check', () => {
    expect(nextFlowStep(liveness, 'ENROLL_ID_PHOTO')).toMatchObject({ kind: 'challenge', previousRefused: false });
  });

  it('reads the same step coming back as a refusal of the previous answer', () => {
    expect(nextFlowStep(emailCode, 'EMAIL_CODE')).toMatchObject({ previousRefused: true, challenge: { step: 'EMAIL_CODE' } });
    expect(nextFlowStep(enroll, 'ENROLL_ID_PHOTO')).toMatchObject({ previousRefused: true });
    expect(nextFlowStep(liveness, 'FACE_LIVENESS')).toMatchObject({ previousRefused: true, challenge: { sessionId: 's-2' } });
  });

  it('treats a sign-up that still needs confirming as a misconfigured pool (PreSignUp confirms every sign-up)', () => {
    expect(nextFlowStep({ isSignedIn: false, nextStep: { signInStep: 'CONFIRM_SIGN_UP' } })).toEqual({
      kind: 'unsupported',
      signInStep: 'CONFIRM_SIGN_UP',
    });
  });

  it('reports a step face sign-in does not support', () => {
    expect(nextFlowStep({ isSignedIn: false, nextStep: { signInStep: 'CONFIRM_SIGN_IN_WITH_TOTP_CODE' } })).toEqual({
      kind: 'unsupported',
      signInStep: 'CONFIRM_SIGN_IN_WITH_TOTP_CODE',
    });
  });
});

describe('what a refused sign-in tells the user', () => {
  it('says a refusal at the start is a lockout and when to come back', () => {
    expect(signInStartMessage(named('NotAuthorizedException', 'Incorrect username or password.'), 30)).toBe(
      'Sign-in is locked after too many failed checks. Come back in 30 minutes.',
    );
  });

  it('says an ended sign-in may be retried and names the lockout time', () => {
    const message = answerMessage(named('NotAuthorizedException', 'Invalid session for the user.'), 45);
    expect(message).toContain('Start again');
    expect(message).toContain('45 minutes');
  });

  it('never passes on a score or the check that failed', () => {
    const message = answerMessage(named('NotAuthorizedException', 'Similarity 42.1 below 90'), 30);
    expect(message).not.toMatch(/42|similarity|confidence/i);
  });

  it('does not pass on what a failing trigger said', () => {
    const error = named(
      'UserLambdaValidationException',
      'CreateAuthChallenge failed with error UnknownOperationException: RekognitionService.X',
    );
    const message = answerMessage(error, 30);
    expect(message).toBe('Sign-in is not available at the moment because of a problem on our side. Try again in a few minutes.');
    expect(signInStartMessage(named('InternalErrorException', 'stack trace at /var/task/index.mjs'), 30)).toBe(
      'Sign-in failed (InternalErrorException). Try again in a few minutes.',
    );
  });

  it('does not quote what Cognito said about a sign-up', () => {
    expect(signUpMessage(named('InvalidParameterException', 'Invalid email address format.'))).toBe('Enter a valid email address.');
    expect(signUpMessage(named('UserLambdaValidationException', 'PreSignUp failed with error x'))).toBe(
      'Sign-in is not available at the moment because of a problem on our side. Try again in a few minutes.',
    );
  });
});

describe('what an interrupted video check tells the user', () => {
  it('says what to do for a check that timed out before the face filled the oval', () => {
    expect(livenessInterruptionMessage('TIMEOUT')).toBe(
      'Your face did not fill the oval in time. Move closer until it fills the oval, then hold still. ' +
        'Trying again starts a new check and counts as one attempt.',
    );
  });

  it('asks for camera access when the camera was refused', () => {
    expect(livenessInterruptionMessage('CAMERA_ACCESS_ERROR')).toContain('Allow camera access');
  });

  it('gives connection and server failures one hint about the connection', () => {
    expect(livenessInterruptionMessage('SERVER_ERROR')).toBe(livenessInterruptionMessage('CONNECTION_TIMEOUT'));
    expect(livenessInterruptionMessage('SERVER_ERROR')).toContain('Check your connection');
  });
});

/**
 * What the user reads when Cognito refuses something. The triggers can only pass or fail, so the wording
 * names the likely cause and what to try, never a score or which check failed (that would help an attacker).
 */
import { AccountApiError } from './account';

export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string') return error.name;
  return 'Error';
}

const TOO_MANY = 'Too many requests. Wait a minute and try again.';

/** Refusals that read the same wherever they happen. */
const COMMON: Record<string, string> = {
  NetworkError: 'The service could not be reached. Check your connection and try again.',
  TooManyRequestsException: TOO_MANY,
  LimitExceededException: TOO_MANY,
  TooManyFailedAttemptsException: TOO_MANY,
  // A trigger failed: its message names functions and internals, which are not the user's business.
  UserLambdaValidationException: 'Sign-in is not available at the moment because of a problem on our side. Try again in a few minutes.',
};

/** Anything else is named but not quoted: service messages can carry internals. */
function messageFor(error: unknown, specific: Record<string, string>, action: string): string {
  const name = errorName(error);
  return specific[name] ?? COMMON[name] ?? `${action} failed (${name}). Try again in a few minutes.`;
}

/** UsernameExistsException never gets here: the app goes on to sign in (the email code decides). */
export function signUpMessage(error: unknown): string {
  return messageFor(error, { InvalidParameterException: 'Enter a valid email address.' }, 'Sign-up');
}

/** The previous code was refused: wrong, expired or already used, and which is not said. */
export const EMAIL_CODE_REFUSED =
  'That code was not accepted. Check the newest email from us and type its code. After 3 wrong codes, sign-in starts again.';

/** A refusal when sign-in starts: Define fails at once only for a locked-out user. */
export function signInStartMessage(error: unknown, lockoutMinutes: number): string {
  return messageFor(
    error,
    {
      NotAuthorizedException: `Sign-in is locked after too many failed checks. Come back in ${lockoutMinutes} minutes.`,
    },
    'Sign-in',
  );
}

/** A refusal of an answer: the auth session is over (too many wrong answers, expired, or now locked). */
export function answerMessage(error: unknown, lockoutMinutes: number): string {
  return messageFor(
    error,
    {
      NotAuthorizedException:
        'This sign-in has ended: too many checks failed, or it took too long. Start again. ' +
        `If checks keep failing, sign-in locks for ${lockoutMinutes} minutes; then come back after that time.`,
    },
    'Sign-in',
  );
}

/** What to do about each way the liveness component can stop before it finishes (its LivenessError states). */
const INTERRUPTION_HINTS: Record<string, string> = {
  USER_CANCEL: 'You stopped the check.',
  CAMERA_ACCESS_ERROR: 'The camera could not be opened. Allow camera access for this site.',
  DEFAULT_CAMERA_NOT_FOUND_ERROR: 'No camera was found. Connect a camera or use a phone.',
  CAMERA_FRAMERATE_ERROR: 'This camera is too slow for the check (it needs 15 frames a second). Try another camera or device.',
  TIMEOUT: 'Your face did not fill the oval in time. Move closer until it fills the oval, then hold still.',
  FACE_DISTANCE_ERROR: 'Start a little further from the camera, then move closer when the oval appears.',
  FRESHNESS_TIMEOUT: 'The check timed out while the screen flashed colours. Keep your face in the oval until it finishes.',
  MULTIPLE_FACES_ERROR: 'More than one face was in view. Make sure only you are in front of the camera.',
  MOBILE_LANDSCAPE_ERROR: 'Turn your phone upright (portrait).',
};

/** `state`: the component's ErrorState, or USER_CANCEL; connection and server failures share one hint. */
export function livenessInterruptionMessage(state: string): string {
  const hint = INTERRUPTION_HINTS[state] ?? 'The check could not reach the service. Check your connection.';
  return `${hint} Trying again starts a new check and counts as one attempt.`;
}

/**
 * Why a replacement ID photo was refused, by the account API's reason code. The user has just proven who they are
 * with their face, so the reason is theirs to know; an unknown or missing code reads as a plain refusal.
 */
const ID_PHOTO_REFUSALS = new Map<string, string>([
  ['EMPTY', 'The photo arrived empty. Choose the photo again.'],
  ['TOO_LARGE', 'The photo is too large. Choose another photo.'],
  ['WRONG_TYPE', 'The photo did not arrive as a JPEG image. Choose the photo again.'],
  ['NOT_AN_IMAGE', 'The file could not be read as a photo. Choose another photo.'],
  ['NO_FACE', 'No face was found in the photo. Make sure the face on the document is sharp and in view.'],
  ['MULTIPLE_FACES', 'More than one face is in the photo. Photograph only your ID document, with no other faces in view.'],
  ['LOW_QUALITY', 'The face in the photo is too blurred, dark or small. Take a sharper, well-lit photo, closer to the document.'],
  ['DUPLICATE_FACE', 'This face is already registered to another account.'],
  ['NOT_A_DOCUMENT', 'This does not look like an ID document. Photograph a passport, ID card or driving licence, all of it in view.'],
  ['EXPIRED_DOCUMENT', 'This document has expired. Use a valid one.'],
  ['NO_MATCH', 'The face on the document does not match the face of your video check. Use your own ID document.'],
  ['LOCKED_OUT', 'Too many face checks on this account failed recently, so the photo was not checked. Try again later.'],
]);

export function idPhotoRefusedMessage(reason: string | undefined): string {
  const why = (reason === undefined ? undefined : ID_PHOTO_REFUSALS.get(reason)) ?? 'We could not use that photo.';
  return `${why} Your current ID photo stays registered.`;
}

/** The account API refused an action (403): only a recent face sign-in may change or delete the account. */
export function freshSignInNeededMessage(action: string, freshSignInMinutes: number): string {
  return `This needs a recent face sign-in. Sign in again with your face, then ${action} within ${freshSignInMinutes} minutes.`;
}

/** The account API could not be used: no status or server text, which are not the user's business. */
export function accountFailureMessage(error: unknown): string {
  if (error instanceof AccountApiError && error.kind === 'timedOut') {
    return 'There is no answer about your photo yet. It is still being checked and may be accepted later; you can also send it again.';
  }
  return 'That did not work, because of a problem on our side or with the connection. Try again in a few minutes.';
}

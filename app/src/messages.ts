/**
 * What the user reads when Cognito refuses something. The triggers can only pass or fail, so the wording
 * names the likely cause and what to try, never a score or which check failed (that would help an attacker).
 */
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

export function signUpMessage(error: unknown): string {
  return messageFor(
    error,
    {
      UsernameExistsException: 'An account with this email already exists. Sign in instead.',
      InvalidParameterException: 'Enter a valid email address.',
    },
    'Sign-up',
  );
}

export function confirmSignUpMessage(error: unknown): string {
  return messageFor(
    error,
    {
      CodeMismatchException: 'That code is not right. Check the latest email and type the 6 digits again.',
      ExpiredCodeException: 'That code has expired. Ask for a new code.',
    },
    'Confirmation',
  );
}

/** A refusal when sign-in starts: Define fails at once only for a locked-out user. */
export function signInStartMessage(error: unknown, lockoutMinutes: number): string {
  return messageFor(
    error,
    {
      NotAuthorizedException: `Sign-in is locked after too many failed checks. Come back in ${lockoutMinutes} minutes.`,
      UserNotConfirmedException: 'This email is not confirmed yet. Enter the code we sent you.',
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

/**
 * The public challenge parameters the create-auth-challenge trigger sends (docs/internals.md, "Challenges"),
 * parsed from Amplify's `nextStep.additionalInfo` into typed steps the screens can trust.
 */
/** Proof of the email address: a code sent to it, asked before any upload while the user has no enrollment. */
export interface EmailCodeChallenge {
  step: 'EMAIL_CODE';
  /** The address the code went to, masked by the server (j***@e***.com). */
  destination: string;
  codeLength: number;
}

export interface EnrollChallenge {
  step: 'ENROLL_ID_PHOTO';
  uploadUrl: string;
  uploadFields: Record<string, string>;
  maxBytes: number;
  contentTypes: string[];
}

export interface LivenessChallenge {
  step: 'FACE_LIVENESS';
  sessionId: string;
  region: string;
}

export type Challenge = EmailCodeChallenge | EnrollChallenge | LivenessChallenge;

/** The one type the app uploads (the upload policy pins it): any chosen photo is re-encoded to it. */
export const UPLOAD_TYPE = 'image/jpeg';

/** The answer create-auth-challenge expects after a successful upload. */
export const ENROLL_ANSWER = 'uploaded';

export class ChallengeError extends Error {
  override name = 'ChallengeError';
}

function field(params: Record<string, string>, key: string): string {
  const value = params[key];
  if (value === undefined || value === '') throw new ChallengeError(`challenge parameter "${key}" is missing`);
  return value;
}

function parseUploadFields(json: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ChallengeError('challenge parameter "uploadFields" is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ChallengeError('challenge parameter "uploadFields" must be a JSON object');
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new ChallengeError(`upload field "${name}" must be a string`);
    fields[name] = value;
  }
  return fields;
}

function positiveInteger(params: Record<string, string>, key: string): number {
  const value = Number(field(params, key));
  if (!Number.isInteger(value) || value < 1) throw new ChallengeError(`challenge parameter "${key}" must be a positive whole number`);
  return value;
}

export function parseChallenge(params: Record<string, string> | undefined): Challenge {
  if (params === undefined) throw new ChallengeError('the challenge has no parameters');
  const step = field(params, 'step');
  if (step === 'EMAIL_CODE') {
    return { step, destination: field(params, 'destination'), codeLength: positiveInteger(params, 'codeLength') };
  }
  if (step === 'ENROLL_ID_PHOTO') {
    const uploadUrl = field(params, 'uploadUrl');
    if (!URL.canParse(uploadUrl)) throw new ChallengeError('challenge parameter "uploadUrl" is not a URL');
    const contentTypes = field(params, 'contentTypes')
      .split(',')
      .map((type) => type.trim());
    // The app re-encodes every photo to JPEG, so a policy without JPEG could never be met.
    if (!contentTypes.includes(UPLOAD_TYPE)) throw new ChallengeError(`challenge parameter "contentTypes" does not allow ${UPLOAD_TYPE}`);
    return {
      step,
      uploadUrl,
      uploadFields: parseUploadFields(field(params, 'uploadFields')),
      maxBytes: positiveInteger(params, 'maxBytes'),
      contentTypes,
    };
  }
  if (step === 'FACE_LIVENESS') {
    return { step, sessionId: field(params, 'sessionId'), region: field(params, 'region') };
  }
  throw new ChallengeError(`unknown challenge step "${step}"`);
}

/**
 * The public challenge parameters the create-auth-challenge trigger sends (docs/internals.md, "Challenges"),
 * parsed from Amplify's `nextStep.additionalInfo` into typed steps the screens can trust.
 */
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

export type Challenge = EnrollChallenge | LivenessChallenge;

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

export function parseChallenge(params: Record<string, string> | undefined): Challenge {
  if (params === undefined) throw new ChallengeError('the challenge has no parameters');
  const step = field(params, 'step');
  if (step === 'ENROLL_ID_PHOTO') {
    const uploadUrl = field(params, 'uploadUrl');
    if (!URL.canParse(uploadUrl)) throw new ChallengeError('challenge parameter "uploadUrl" is not a URL');
    const maxBytes = Number(field(params, 'maxBytes'));
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new ChallengeError('challenge parameter "maxBytes" must be a positive whole number');
    }
    return {
      step,
      uploadUrl,
      uploadFields: parseUploadFields(field(params, 'uploadFields')),
      maxBytes,
      contentTypes: field(params, 'contentTypes').split(',').map((type) => type.trim()),
    };
  }
  if (step === 'FACE_LIVENESS') {
    return { step, sessionId: field(params, 'sessionId'), region: field(params, 'region') };
  }
  throw new ChallengeError(`unknown challenge step "${step}"`);
}

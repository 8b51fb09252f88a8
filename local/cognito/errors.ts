/**
 * Cognito's error wire shape: JSON 1.1 `{"__type": "<Exception>", "message": "..."}` plus the
 * `x-amzn-ErrorType` header; the SDK reads the exception name from `__type`.
 */
export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const invalidParameter = (message: string) => new CognitoError('InvalidParameterException', message);
export const notAuthorized = (message: string) => new CognitoError('NotAuthorizedException', message);

/** The validation message AWS JSON services give for a missing or malformed member (member names in camelCase). */
export function validationError(member: string, constraint: string, value: unknown = null): CognitoError {
  const shown = value === null || value === undefined ? 'null' : `'${String(value)}'`;
  const name = member.charAt(0).toLowerCase() + member.slice(1);
  return invalidParameter(`1 validation error detected: Value ${shown} at '${name}' failed to satisfy constraint: ${constraint}`);
}

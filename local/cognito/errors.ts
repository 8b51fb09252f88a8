/**
 * Cognito's common refusals, as the shared AwsError (../aws/errors.ts); the server writes them as Cognito does:
 * `{"__type": "<Exception>", "message": "..."}` plus the `x-amzn-ErrorType` header.
 */
import { AwsError } from '../aws/errors';

export const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);
export const notAuthorized = (message: string) => new AwsError('NotAuthorizedException', message);
export const userNotFound = (message = 'User does not exist.') => new AwsError('UserNotFoundException', message);

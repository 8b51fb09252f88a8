/** The sample events in events/, so the files `sam local invoke` and `npm run invoke` use are the ones under test. */
import { readFileSync } from 'node:fs';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  CloudFormationCustomResourceEvent,
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  PreSignUpTriggerEvent,
  S3Event,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';
import { pseudoSubOf } from '../../../functions/lib/pseudonym';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../events/${name}.json`, import.meta.url), 'utf8')) as T;
}

export const preSignUpEvent = (name: string) => load<PreSignUpTriggerEvent>(`pre-sign-up.${name}`);
export const defineEvent = (name: string) => load<DefineAuthChallengeTriggerEvent>(`define-auth-challenge.${name}`);
export const createEvent = (name: string) => load<CreateAuthChallengeTriggerEvent>(`create-auth-challenge.${name}`);
export const verifyEvent = (name: string) => load<VerifyAuthChallengeResponseTriggerEvent>(`verify-auth-challenge.${name}`);
export const s3Event = (name: string) => load<S3Event>(`index-face.${name}`);
export const accountEvent = (name: string) => load<APIGatewayProxyEventV2WithJWTAuthorizer>(`account.${name}`);
export const customResourceEvent = (name: string) => load<CloudFormationCustomResourceEvent>(`init-collection.${name}`);

/** The user every sample event is about (email ada@example.com), and another one. */
export const SUB = '7d3f4c2a-9b1e-4f6a-8c5d-2e0b1a9f3c47';
export const EMAIL = 'ada@example.com';
export const OTHER_SUB = 'c81e728d-9d4c-4f2a-b6e1-0a3f5d7c9e21';
/** The username of the sample unknown-user events. */
export const UNKNOWN_USERNAME = 'nobody@example.com';
/** The key in the sample enrollment events, and the liveness session in the sample verify events. */
export const ENROLL_KEY = `enrollment/${SUB}/3b9c1e52-7a4d-4f08-b6e2-91d0c5a8f713.jpg`;
export const SESSION_ID = 'a6c1f2d8-3e4b-4c5a-9d7e-8f0b1c2d3e4f';

/**
 * The table's pseudonym key (base64) the sample email-code answer was hashed with, the code it answers, and when
 * that code was issued (it expires 10 minutes later, at the event's expiresAt).
 */
export const PSEUDONYM_SECRET = 'CzBVep/E6Q4zWH2ix+wRNluApcrvFDleg6jN8hc8YYY=';
export const EMAIL_CODE_ANSWER = '482913';
export const EMAIL_CODE_ISSUED_AT_MS = Date.parse('2026-11-21T15:28:04.000Z');

/** The pseudo-identity the sample unknown username gets under the table's pseudonym key. */
export const UNKNOWN_PSEUDO_SUB = pseudoSubOf(Buffer.from(PSEUDONYM_SECRET, 'base64'), UNKNOWN_USERNAME);

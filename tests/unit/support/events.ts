/** The sample events in events/, so the files `sam local invoke` and `npm run invoke` use are the ones under test. */
import { readFileSync } from 'node:fs';
import type {
  CloudFormationCustomResourceEvent,
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  S3Event,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../events/${name}.json`, import.meta.url), 'utf8')) as T;
}

export const defineEvent = (name: string) => load<DefineAuthChallengeTriggerEvent>(`define-auth-challenge.${name}`);
export const createEvent = (name: string) => load<CreateAuthChallengeTriggerEvent>(`create-auth-challenge.${name}`);
export const verifyEvent = (name: string) => load<VerifyAuthChallengeResponseTriggerEvent>(`verify-auth-challenge.${name}`);
export const s3Event = (name: string) => load<S3Event>(`index-face.${name}`);
export const customResourceEvent = (name: string) => load<CloudFormationCustomResourceEvent>(`init-collection.${name}`);

/** The user every sample event is about, and another one. */
export const SUB = '7d3f4c2a-9b1e-4f6a-8c5d-2e0b1a9f3c47';
export const OTHER_SUB = 'c81e728d-9d4c-4f2a-b6e1-0a3f5d7c9e21';
/** The key in the sample enrolment events, and the liveness session in the sample verify events. */
export const ENROLL_KEY = `enrollment/${SUB}/3b9c1e52-7a4d-4f08-b6e2-91d0c5a8f713.jpg`;
export const SESSION_ID = 'a6c1f2d8-3e4b-4c5a-9d7e-8f0b1c2d3e4f';

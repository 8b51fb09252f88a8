/**
 * The parts unit tests build handlers from: the configuration of a correctly configured function, clients whose
 * calls the class-level mocks of aws-mocks.ts answer, and a clock that stands still until a test moves it.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { TextractClient } from '@aws-sdk/client-textract';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clients } from '../../../functions/lib/aws-clients';
import { type Config, loadConfig } from '../../../functions/lib/config';
import { logger } from '../../../functions/lib/logger';
import type { Clock, Parts } from '../../../functions/lib/parts';

export const REGION = 'us-east-1';
export const TABLE = 'face-login-table';
export const BUCKET = 'face-login-000000000000-00000000-0000-0000-0000-000000000000';
export const COLLECTION = 'cognito-face-login-faces';
export const EMAIL_SENDER = 'sign-in@example.com';
export const EMAIL_IDENTITY_ARN = 'arn:aws:ses:us-east-1:000000000000:identity/example.com';
export const USER_POOL_ID = 'us-east-1_UnitTest1';

/** The environment of a correctly configured function; tests change one variable at a time. */
export const FUNCTION_ENV: Record<string, string> = {
  AWS_REGION: REGION,
  TABLE_NAME: TABLE,
  BUCKET_NAME: BUCKET,
  COLLECTION_ID: COLLECTION,
  EMAIL_SENDER,
  EMAIL_IDENTITY_ARN,
  // The document check has its own tests (document-check.test.ts); the indexer's tests enroll plain photos.
  DOCUMENT_CHECK: 'OFF',
};

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ ...FUNCTION_ENV, ...env });
}

/** Credentials are needed only to sign presigned POSTs; every call is answered by a mock. */
const clientOptions = {
  region: REGION,
  credentials: { accessKeyId: 'AKIAUNITTESTKEY00001', secretAccessKey: 'unit-test-secret-access-key' },
};

export function testClients(): Clients {
  return {
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(clientOptions), { marshallOptions: { removeUndefinedValues: true } }),
    s3: new S3Client(clientOptions),
    rekognition: new RekognitionClient(clientOptions),
    ses: new SESv2Client(clientOptions),
    textract: new TextractClient(clientOptions),
    cognito: new CognitoIdentityProviderClient(clientOptions),
  };
}

/** The time every test starts at: a minute after the sample email code was issued (events.ts). */
export const NOW_MS = Date.parse('2026-11-21T15:29:04.000Z');

/** A clock that stands still at `NOW_MS` until a test sets it. */
export class FakeClock implements Clock {
  private ms = NOW_MS;

  now(): number {
    return this.ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }
}

export function testParts(options: { env?: Record<string, string>; clock?: Clock } = {}): Parts {
  return { config: testConfig(options.env), clients: testClients(), clock: options.clock ?? new FakeClock() };
}

// Tests read logs and metrics through spies (logging.test.ts, metrics.ts); nothing is printed. Both are read when
// used, not when imported, so this needs no particular import order.
logger.setLogLevel('SILENT');
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

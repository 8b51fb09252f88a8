/**
 * The environment of a correctly configured function, set before any handler module loads (import this first:
 * handlers read their configuration once, at module load, as they do at a Lambda cold start).
 */
export const REGION = 'us-east-1';
export const TABLE = 'face-login-table';
export const BUCKET = 'face-login-000000000000-00000000-0000-0000-0000-000000000000';
export const COLLECTION = 'cognito-face-login-faces';
export const EMAIL_SENDER = 'sign-in@example.com';
export const EMAIL_IDENTITY_ARN = 'arn:aws:ses:us-east-1:000000000000:identity/example.com';

Object.assign(process.env, {
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: 'AKIAUNITTESTKEY00001',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-access-key',
  TABLE_NAME: TABLE,
  BUCKET_NAME: BUCKET,
  COLLECTION_ID: COLLECTION,
  EMAIL_SENDER,
  EMAIL_IDENTITY_ARN,
  POWERTOOLS_METRICS_DISABLED: 'true',
  LOG_LEVEL: 'SILENT',
});

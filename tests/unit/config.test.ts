import { loadClientSettings, loadConfig, loadUserPoolId } from '../../functions/lib/config';

const REQUIRED = {
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'table',
  BUCKET_NAME: 'bucket',
  COLLECTION_ID: 'faces',
  EMAIL_SENDER: 'sign-in@example.com',
};
const load = (overrides: Record<string, string | undefined> = {}) => loadConfig({ ...REQUIRED, ...overrides });

describe('function configuration', () => {
  test('applies the documented defaults', () => {
    expect(load()).toEqual({
      region: 'eu-west-1',
      tableName: 'table',
      bucketName: 'bucket',
      collectionId: 'faces',
      similarityThreshold: 90,
      livenessThreshold: 90,
      faceMatchThreshold: 90,
      maxAttempts: 3,
      lockoutFailures: 5,
      lockoutDailyFailures: 20,
      lockoutWindowSeconds: 180,
      lockoutMinutes: 30,
      duplicateFacePolicy: 'REJECT',
      enrollmentMaxBytes: 5242880,
      uploadUrlTtlSeconds: 120,
      livenessSessionTtlSeconds: 180,
      qualityFilter: 'AUTO',
      documentCheck: 'REQUIRE',
      documentKeepIdentity: false,
      emailSender: 'sign-in@example.com',
      provisionalEnrollmentHours: 24,
      freshSignInMinutes: 5,
    });
  });

  test('refuses a freshness window for account changes outside 1 to 60 minutes', () => {
    expect(() => load({ FRESH_SIGN_IN_MINUTES: '0' })).toThrow('FRESH_SIGN_IN_MINUTES must be from 1 to 60');
    expect(() => load({ FRESH_SIGN_IN_MINUTES: '61' })).toThrow('FRESH_SIGN_IN_MINUTES must be from 1 to 60');
  });

  test('reads the user pool id of the functions that manage users, and refuses anything else', () => {
    expect(loadUserPoolId({ USER_POOL_ID: 'eu-west-1_AbC123' })).toBe('eu-west-1_AbC123');
    expect(() => loadUserPoolId({})).toThrow('USER_POOL_ID is required');
    expect(() => loadUserPoolId({ USER_POOL_ID: 'arn:aws:cognito-idp:eu-west-1:1:userpool/x' })).toThrow('must be a user pool id');
  });

  test.each(Object.keys(REQUIRED))('refuses to start without %s', (name) => {
    expect(() => load({ [name]: undefined })).toThrow(`${name} is required`);
    expect(() => load({ [name]: '  ' })).toThrow(`${name} is required`);
  });

  test.each(['SIMILARITY_THRESHOLD', 'LIVENESS_THRESHOLD', 'FACE_MATCH_THRESHOLD'])('refuses %s configured as the fraction 0.9', (name) => {
    expect(() => load({ [name]: '0.9' })).toThrow(`${name} must be a percentage`);
  });

  test.each([
    [
      'a similarity threshold below 90',
      { SIMILARITY_THRESHOLD: '89.5' },
      'SIMILARITY_THRESHOLD must be a percentage from 90 to 100 (not a fraction), got 89.5',
    ],
    [
      'a threshold above 100',
      { LIVENESS_THRESHOLD: '100.5' },
      'LIVENESS_THRESHOLD must be a percentage from 50 to 100 (not a fraction), got 100.5',
    ],
    [
      'a threshold that is not a number',
      { SIMILARITY_THRESHOLD: '95%' },
      'SIMILARITY_THRESHOLD must be a percentage from 90 to 100, got "95%"',
    ],
    ['no attempts at all', { MAX_ATTEMPTS: '0' }, 'MAX_ATTEMPTS must be from 1 to 10, got 0'],
    ['more than 10 attempts', { MAX_ATTEMPTS: '11' }, 'MAX_ATTEMPTS must be from 1 to 10, got 11'],
    ['a count that is not a number', { MAX_ATTEMPTS: 'three' }, 'MAX_ATTEMPTS must be a whole number from 1 to 10, got "three"'],
    ['a fractional count', { LOCKOUT_FAILURES: '2.5' }, 'LOCKOUT_FAILURES must be a whole number from 1 to 100, got "2.5"'],
    [
      'more bytes than Rekognition accepts',
      { ENROLLMENT_MAX_BYTES: '5242881' },
      'ENROLLMENT_MAX_BYTES must be from 1 to 5242880, got 5242881',
    ],
    [
      "a liveness session outliving Rekognition's 3 minutes",
      { LIVENESS_SESSION_TTL_SECONDS: '181' },
      'LIVENESS_SESSION_TTL_SECONDS must be from 30 to 180, got 181',
    ],
    [
      'an upload policy living longer than 15 minutes',
      { UPLOAD_URL_TTL_SECONDS: '901' },
      'UPLOAD_URL_TTL_SECONDS must be from 30 to 900, got 901',
    ],
    [
      'a duplicate-face policy other than REJECT or ALLOW',
      { DUPLICATE_FACE_POLICY: 'reject' },
      'DUPLICATE_FACE_POLICY must be one of REJECT, ALLOW, got "reject"',
    ],
    [
      'a quality filter Rekognition does not know',
      { QUALITY_FILTER: 'BEST' },
      'QUALITY_FILTER must be one of NONE, AUTO, LOW, MEDIUM, HIGH, got "BEST"',
    ],
    ['a sender that is not an email address', { EMAIL_SENDER: 'Face Login' }, 'EMAIL_SENDER must be an email address, got "Face Login"'],
    [
      'a sender identity that is not an SES identity ARN',
      { EMAIL_IDENTITY_ARN: 'arn:aws:iam::123456789012:role/x' },
      'EMAIL_IDENTITY_ARN must be an SES identity ARN, got "arn:aws:iam::123456789012:role/x"',
    ],
    [
      'provisional enrollments that never expire',
      { PROVISIONAL_ENROLLMENT_HOURS: '0' },
      'PROVISIONAL_ENROLLMENT_HOURS must be from 1 to 720, got 0',
    ],
    [
      'provisional enrollments that last more than 30 days',
      { PROVISIONAL_ENROLLMENT_HOURS: '721' },
      'PROVISIONAL_ENROLLMENT_HOURS must be from 1 to 720, got 721',
    ],
  ])('refuses %s', (_case, overrides, message) => {
    expect(() => load(overrides)).toThrow(message);
  });

  test('accepts stricter thresholds within range', () => {
    expect(load({ SIMILARITY_THRESHOLD: '99.5', LIVENESS_THRESHOLD: '50', FACE_MATCH_THRESHOLD: '80' })).toMatchObject({
      similarityThreshold: 99.5,
      livenessThreshold: 50,
      faceMatchThreshold: 80,
    });
  });

  test('reads the sender identity, the provisional lifetime and the upload policy lifetime', () => {
    const identity = 'arn:aws:ses:eu-west-1:123456789012:identity/example.com';
    expect(load({ EMAIL_IDENTITY_ARN: identity, PROVISIONAL_ENROLLMENT_HOURS: '72', UPLOAD_URL_TTL_SECONDS: '60' })).toMatchObject({
      emailIdentityArn: identity,
      provisionalEnrollmentHours: 72,
      uploadUrlTtlSeconds: 60,
    });
  });

  test('gives every AWS call a 1.5 s timeout and two attempts by default', () => {
    expect(loadClientSettings({})).toEqual({ callTimeoutMs: 1500, maxAttempts: 2, forcePathStyle: false });
  });

  test('reads path-style S3 and the call budget from the environment', () => {
    expect(loadClientSettings({ S3_FORCE_PATH_STYLE: 'true', AWS_CALL_TIMEOUT_MS: '800', AWS_MAX_ATTEMPTS: '3' })).toEqual({
      callTimeoutMs: 800,
      maxAttempts: 3,
      forcePathStyle: true,
    });
  });

  test('refuses a document check policy other than REQUIRE, RECORD or OFF', () => {
    expect(() => load({ DOCUMENT_CHECK: 'STRICT' })).toThrow('DOCUMENT_CHECK must be one of REQUIRE, RECORD, OFF, got "STRICT"');
  });

  test("keeps the document holder's identity only when DOCUMENT_KEEP_IDENTITY is true", () => {
    expect(load({ DOCUMENT_KEEP_IDENTITY: 'true' }).documentKeepIdentity).toBe(true);
  });

  test('refuses a path-style flag that is not true or false', () => {
    expect(() => loadClientSettings({ S3_FORCE_PATH_STYLE: 'yes' })).toThrow('S3_FORCE_PATH_STYLE must be one of true, false, got "yes"');
  });
});

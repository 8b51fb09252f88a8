import { checkEmailCode, emailCodeChallengeParameters, issueEmailCode, maskEmail } from '../../functions/lib/email-code';

const KEY = Buffer.alloc(32, 7);
const NOW = Date.parse('2026-11-21T15:28:04.000Z');

/** A new code and what a challenge that asks for it keeps. */
function issue() {
  const { code, stored } = issueEmailCode(KEY, NOW);
  return { code, privateParameters: emailCodeChallengeParameters(stored) };
}

describe('email codes', () => {
  test('are 6 digits, leading zeros included', () => {
    const codes = Array.from({ length: 200 }, () => issueEmailCode(KEY, NOW).code);
    expect(codes.every((code) => /^\d{6}$/.test(code))).toBe(true);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  test('match only under the key they were hashed with', () => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, privateParameters, code, NOW)).toBe('MATCH');
    expect(checkEmailCode(Buffer.alloc(32, 8), privateParameters, code, NOW)).toBe('WRONG_CODE');
  });

  test('match only with their own salt', () => {
    const { code, privateParameters } = issue();
    const other = issue().privateParameters;
    expect(checkEmailCode(KEY, { ...privateParameters, salt: other.salt }, code, NOW)).toBe('WRONG_CODE');
  });

  test('are valid until 10 minutes after they were issued, and not a moment longer', () => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, privateParameters, code, NOW + 600_000 - 1)).toBe('MATCH');
    expect(checkEmailCode(KEY, privateParameters, code, NOW + 600_000)).toBe('EXPIRED');
  });

  test('give each challenge that asks for one code an id of its own, for its own verdict', () => {
    const { stored } = issueEmailCode(KEY, NOW);
    const [first, second] = [emailCodeChallengeParameters(stored), emailCodeChallengeParameters(stored)];
    expect(second).toEqual({ ...first, challengeId: expect.any(String) });
    expect(second.challengeId).not.toBe(first.challengeId);
  });

  test('refuse a hash of another length without comparing it', () => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, { ...privateParameters, codeHash: 'c2hvcnQ' }, code, NOW)).toBe('WRONG_CODE');
  });

  test.each([
    ['no hash', { codeHash: undefined }],
    ['no salt', { salt: undefined }],
    ['no expiry', { expiresAt: undefined }],
    ['an expiry that is not a number', { expiresAt: 'tomorrow' }],
  ])('are malformed with %s', (_case, change) => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, { ...privateParameters, ...change }, code, NOW)).toBe('MALFORMED');
  });
});

describe('masked destinations', () => {
  test.each([
    ['ada@example.com', 'a***@e***.com'],
    ['j.smith@mail.example.co.uk', 'j***@m***.uk'],
    ['ops@localhost', 'o***@l***'],
    ['no-at-sign', '***'],
    ['@example.com', '***'],
  ])('show %s as %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });
});

import { addressHash, checkEmailCode, emailCodeChallengeParameters, issueEmailCode, maskEmail } from '../../functions/lib/email-code';

const KEY = Buffer.alloc(32, 7);
const NOW = Date.parse('2026-11-21T15:28:04.000Z');
const EMAIL = 'ada@example.com';
const SENT_TO = addressHash(KEY, EMAIL);

/** A new code and what a challenge that asks for it keeps. */
function issue() {
  const { code, stored } = issueEmailCode(KEY, NOW, EMAIL);
  return { code, privateParameters: emailCodeChallengeParameters(stored) };
}

describe('email codes', () => {
  test('are 6 digits, leading zeros included', () => {
    const codes = Array.from({ length: 200 }, () => issueEmailCode(KEY, NOW, EMAIL).code);
    expect(codes.every((code) => /^\d{6}$/.test(code))).toBe(true);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  test('match only under the key they were hashed with', () => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, privateParameters, code, NOW, SENT_TO)).toBe('MATCH');
    expect(checkEmailCode(Buffer.alloc(32, 8), privateParameters, code, NOW, SENT_TO)).toBe('WRONG_CODE');
  });

  test('match only with their own salt', () => {
    const { code, privateParameters } = issue();
    const other = issue().privateParameters;
    expect(checkEmailCode(KEY, { ...privateParameters, salt: other.salt }, code, NOW, SENT_TO)).toBe('WRONG_CODE');
  });

  test('are valid until 10 minutes after they were issued, and not a moment longer', () => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, privateParameters, code, NOW + 600_000 - 1, SENT_TO)).toBe('MATCH');
    expect(checkEmailCode(KEY, privateParameters, code, NOW + 600_000, SENT_TO)).toBe('EXPIRED');
  });

  test('give each challenge that asks for one code an id of its own, for its own verdict', () => {
    const { stored } = issueEmailCode(KEY, NOW, EMAIL);
    const [first, second] = [emailCodeChallengeParameters(stored), emailCodeChallengeParameters(stored)];
    expect(second).toEqual({ ...first, challengeId: expect.any(String) });
    expect(second.challengeId).not.toBe(first.challengeId);
  });

  test('prove only the address they were mailed to', () => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, privateParameters, code, NOW, addressHash(KEY, 'grace@example.com'))).toBe('ADDRESS_CHANGED');
  });

  test('take the address as the pool compares it: trimmed and in any case', () => {
    expect(addressHash(KEY, ' Ada@Example.COM ')).toBe(SENT_TO);
    expect(addressHash(Buffer.alloc(32, 8), EMAIL)).not.toBe(SENT_TO);
  });

  test('are still a wrong code for another address when the code is wrong', () => {
    const { code, privateParameters } = issue();
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(checkEmailCode(KEY, privateParameters, wrong, NOW, addressHash(KEY, 'grace@example.com'))).toBe('WRONG_CODE');
  });

  test('refuse a hash of another length without comparing it', () => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, { ...privateParameters, codeHash: 'c2hvcnQ' }, code, NOW, SENT_TO)).toBe('WRONG_CODE');
  });

  test.each([
    ['no hash', { codeHash: undefined }],
    ['no salt', { salt: undefined }],
    ['no address', { addressHash: undefined }],
    ['no expiry', { expiresAt: undefined }],
    ['an expiry that is not a number', { expiresAt: 'tomorrow' }],
  ])('are malformed with %s', (_case, change) => {
    const { code, privateParameters } = issue();
    expect(checkEmailCode(KEY, { ...privateParameters, ...change }, code, NOW, SENT_TO)).toBe('MALFORMED');
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

/**
 * The email code's hash is compared in constant time: node:crypto's timingSafeEqual, watched here in place of the
 * real module, so the test fails if the comparison is ever swapped for Buffer.equals or ===, whose time tells how
 * many leading bytes matched.
 */
import { jest } from '@jest/globals';
import * as crypto from 'node:crypto';

const timingSafeEqual = jest.fn(crypto.timingSafeEqual);
jest.unstable_mockModule('node:crypto', () => ({ ...crypto, timingSafeEqual }));
const { addressHash, checkEmailCode, emailCodeChallengeParameters, issueEmailCode } = await import('../../functions/lib/email-code');

const KEY = Buffer.alloc(32, 7);
const NOW = Date.parse('2026-11-21T15:28:04.000Z');

test.each([
  ['the right code', (code: string) => code, 'MATCH'],
  ['a wrong code', (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0'), 'WRONG_CODE'],
])('compares the hash of %s with timingSafeEqual', (_what, answerFor, outcome) => {
  const { code, stored } = issueEmailCode(KEY, NOW, 'ada@example.com');
  const privateParameters = emailCodeChallengeParameters(stored);
  timingSafeEqual.mockClear();
  expect(checkEmailCode(KEY, privateParameters, answerFor(code), NOW, addressHash(KEY, 'ada@example.com'))).toBe(outcome);
  expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  const compared = timingSafeEqual.mock.calls[0]!.map((bytes) => Buffer.from(bytes as Uint8Array).toString('base64url'));
  expect(compared).toContain(stored.codeHash);
  expect(compared.every((hash) => Buffer.from(hash, 'base64url').length === 32)).toBe(true);
});

import { PASSWORD_LENGTH, randomPassword } from '../../app/src/password';

describe('the throwaway sign-up password', () => {
  it('has 32 characters with a lower-case letter, an upper-case letter, a digit and a symbol', () => {
    for (let i = 0; i < 200; i++) {
      const password = randomPassword();
      expect(password).toHaveLength(PASSWORD_LENGTH);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[^a-zA-Z0-9]/);
    }
  });

  it('is different every time', () => {
    const passwords = new Set(Array.from({ length: 500 }, () => randomPassword()));
    expect(passwords.size).toBe(500);
  });

  it('draws every character from the random source it is given', () => {
    let calls = 0;
    const counting = (cell: Uint32Array) => {
      calls++;
      return crypto.getRandomValues(cell);
    };
    randomPassword(counting);
    // 32 characters plus 31 shuffle swaps, more only when a draw was rejected for bias.
    expect(calls).toBeGreaterThanOrEqual(63);
  });

  it('uses only characters Cognito accepts in a password', () => {
    const allowed = /^[A-Za-z0-9^$*.[\]{}()?\-"!@#%&/\\,><':;|_~`+=]+$/;
    for (let i = 0; i < 100; i++) expect(randomPassword()).toMatch(allowed);
  });
});

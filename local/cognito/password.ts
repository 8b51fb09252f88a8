/**
 * Cognito's default password policy (length >= 8 with upper, lower, digit and symbol) and scrypt hashing.
 * Our users never type a password (the app signs up with a random one), but SignUp still enforces the
 * policy as Cognito does, so the app's generator is tested against the real rule.
 */
import { randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { CognitoError } from './errors';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1 };
/** The special characters Cognito counts as symbols. */
const SYMBOLS = new Set('^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ');
const MAX_LENGTH = 256;

/** Throws InvalidPasswordException with Cognito's wording for the first rule the password breaks. */
export function checkPasswordPolicy(password: string): void {
  const rules: Array<[boolean, string]> = [
    [password.length >= 8, 'Password not long enough'],
    [password.length <= MAX_LENGTH, 'Password is too long'],
    [/[a-z]/.test(password), 'Password must have lowercase characters'],
    [/[A-Z]/.test(password), 'Password must have uppercase characters'],
    [/[0-9]/.test(password), 'Password must have numeric characters'],
    [[...password].some((c) => SYMBOLS.has(c)), 'Password must have symbol characters'],
    [password.trim() === password, 'Password cannot have leading or trailing whitespace'],
  ];
  const broken = rules.find(([ok]) => !ok);
  if (broken) throw new CognitoError('InvalidPasswordException', `Password did not conform with policy: ${broken[1]}`);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 64, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

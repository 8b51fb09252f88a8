/**
 * Cognito's default password policy (length >= 8 with upper, lower, digit and symbol). Our users never type a
 * password (the app signs up with a random one, and the client allows no password flow), so the emulator keeps
 * none; SignUp still enforces the policy as Cognito does, so the app's generator is tested against the real rule.
 */
import { AwsError } from '../aws/errors';

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
  if (broken) throw new AwsError('InvalidPasswordException', `Password did not conform with policy: ${broken[1]}`);
}

/**
 * The EMAIL_CODE step: a one-time code that proves the email address before any upload, and marks it verified in the
 * pool once it has. Only a salted, keyed hash of the code leaves this module (into the table and
 * privateChallengeParameters); the code itself goes only into the email. One code is outstanding per user until it
 * expires or is used, and every sign-in meanwhile asks for it, so signing in again and again sends no more email (it
 * used to send one per InitiateAuth, to any address signed up).
 */
import { createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { AdminUpdateUserAttributesCommand } from '@aws-sdk/client-cognito-identity-provider';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type Clients, requestOptions } from './aws-clients';
import type { Config } from './config';
import type { StoredEmailCode } from './store';

export const EMAIL_CODE_LENGTH = 6;
/** A code is valid for 10 minutes. */
export const EMAIL_CODE_TTL_MS = 10 * 60 * 1000;

export interface IssuedEmailCode {
  code: string;
  /** What the table keeps: never the code. */
  stored: StoredEmailCode;
}

function hashCode(key: Buffer, salt: string, code: string): Buffer {
  return createHmac('sha256', key).update(salt).update('\0').update(code).digest();
}

/**
 * Which address a code was mailed to, keyed like the code: a code proves that address only, so a sign-in after the
 * user's address changed gets a new code, and a right answer marks only the address it was sent to.
 */
export function addressHash(key: Buffer, email: string): string {
  return createHmac('sha256', key).update('address\0').update(email.trim().toLowerCase()).digest('base64url');
}

/** A fresh code for `email` and its salted hash, keyed with the table's secret so a leaked hash cannot be brute-forced. */
export function issueEmailCode(key: Buffer, nowMs: number, email: string): IssuedEmailCode {
  const code = String(randomInt(0, 10 ** EMAIL_CODE_LENGTH)).padStart(EMAIL_CODE_LENGTH, '0');
  const salt = randomBytes(16).toString('base64url');
  const codeHash = hashCode(key, salt, code).toString('base64url');
  return { code, stored: { codeHash, salt, expiresAtMs: nowMs + EMAIL_CODE_TTL_MS, addressHash: addressHash(key, email) } };
}

/**
 * What one challenge keeps: the outstanding code's hash, and an id of its own, since several auth sessions may ask
 * for the same code and each answer gets its own verdict.
 */
export function emailCodeChallengeParameters(stored: StoredEmailCode): Record<string, string> {
  const { codeHash, salt, expiresAtMs, addressHash } = stored;
  return { codeHash, salt, expiresAt: String(expiresAtMs), addressHash, challengeId: randomUUID() };
}

export type EmailCodeCheck = 'MATCH' | 'WRONG_CODE' | 'EXPIRED' | 'MALFORMED' | 'ADDRESS_CHANGED';

/**
 * Compares an answer with the challenge's hash in constant time; an expired code never matches, and a right code
 * sent to another address than the user's now (`currentAddressHash`) proves nothing.
 */
export function checkEmailCode(
  key: Buffer,
  privateParameters: Record<string, string | undefined>,
  answer: string,
  nowMs: number,
  currentAddressHash: string,
): EmailCodeCheck {
  const { codeHash, salt, expiresAt, addressHash: sentTo } = privateParameters;
  if (!codeHash || !salt || !sentTo || !expiresAt || !/^\d+$/.test(expiresAt)) return 'MALFORMED';
  if (Number(expiresAt) <= nowMs) return 'EXPIRED';
  if (!new RegExp(`^\\d{${EMAIL_CODE_LENGTH}}$`).test(answer)) return 'WRONG_CODE';
  const expected = Buffer.from(codeHash, 'base64url');
  const actual = hashCode(key, salt, answer);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return 'WRONG_CODE';
  return sentTo === currentAddressHash ? 'MATCH' : 'ADDRESS_CHANGED';
}

/** `ada@example.com` -> `a***@e***.com`: enough for the user to recognise the address, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const domainName = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${email[0]}***@${domainName[0] ?? ''}***${tld}`;
}

/** Sends the code through SES v2 from the configured sender (and its identity, for sending authorisation). */
export async function sendEmailCode(
  { config, clients }: { config: Config; clients: Pick<Clients, 'ses'> },
  to: string,
  code: string,
): Promise<void> {
  const { emailSender, emailIdentityArn } = config;
  const validity = 'It is valid for 10 minutes. If you did not try to sign in, ignore this email.';
  const text = `Your sign-in code is ${code}. ${validity}`;
  await clients.ses.send(
    new SendEmailCommand({
      FromEmailAddress: emailSender,
      ...(emailIdentityArn ? { FromEmailAddressIdentityArn: emailIdentityArn } : {}),
      Destination: { ToAddresses: [to] },
      Content: {
        Simple: {
          Subject: { Data: `Your sign-in code: ${code}`, Charset: 'UTF-8' },
          Body: {
            Text: { Data: text, Charset: 'UTF-8' },
            Html: {
              Data: `<p>Your sign-in code is <strong>${code}</strong>.</p><p>${validity}</p>`,
              Charset: 'UTF-8',
            },
          },
        },
      },
    }),
    requestOptions(),
  );
}

/**
 * Records in the pool that the code proved `email`: PreSignUp confirms users without verifying their email, and
 * nothing else would. Verified, the address can be changed only to another address that is verified too (the pool's
 * AttributesRequireVerificationBeforeUpdate), and the email_verified claim apps read is true. The address is named
 * with the flag, as AWS's pages say to verify an address in the same call: a change still pending verification is
 * not what the code proved, and must not be what gets verified.
 */
export async function markEmailVerified(
  { clients }: { clients: Pick<Clients, 'cognito'> },
  user: { userPoolId: string; userName: string },
  email: string,
): Promise<void> {
  await clients.cognito.send(
    new AdminUpdateUserAttributesCommand({
      UserPoolId: user.userPoolId,
      Username: user.userName,
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
      ],
    }),
    requestOptions(),
  );
}

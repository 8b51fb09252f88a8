/**
 * SignUp, ConfirmSignUp and ResendConfirmationCode: a user is created UNCONFIRMED (unless PreSignUp confirms it)
 * and confirmed with the code mailed to it, under Cognito's limits on guesses and resends (code-throttle.ts).
 */
import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../aws/errors';
import { CodeThrottle } from './code-throttle';
import { invalidParameter, notAuthorized } from './errors';
import { checkPasswordPolicy } from './password';
import {
  attributeList,
  checkClient,
  EMAIL,
  findUser,
  readRequest,
  requiredString,
  requiredUsername,
  triggerContext,
  type CallerInfo,
  type Operation,
  type PoolContext,
} from './pool-context';
import type { StoredUser } from './store';

const CODE_VALIDITY_MS = 24 * 60 * 60 * 1000;

export function signUpOperations(context: PoolContext): Record<string, Operation> {
  const codeThrottle = new CodeThrottle(context.now);
  const { settings, store } = context;

  const sendConfirmationCode = async (user: StoredUser) => {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    user.confirmation = { code, expiresAt: context.now() + CODE_VALIDITY_MS };
    await store.users.save();
    context.mailbox.deliver({
      to: user.email,
      subject: 'Your verification code',
      body: `Your confirmation code is ${code}. It is valid for 24 hours.`,
      code,
    });
    return deliveryDetails(user.email);
  };

  const signUp = async (input: Record<string, unknown>, caller: CallerInfo) => {
    const reader = readRequest(input);
    const clientId = requiredString(reader, 'ClientId');
    const username = requiredUsername(reader);
    const password = requiredString(reader, 'Password');
    const attributes = attributeList(reader, 'UserAttributes');
    const validationData = attributeList(reader, 'ValidationData');
    const clientMetadata = reader.stringMap('ClientMetadata');
    reader.finish();
    checkClient(context, clientId);
    if (!EMAIL.test(username)) throw invalidParameter('Username should be an email.');
    const email = username.toLowerCase();
    for (const { Name, Value } of attributes) {
      if (Name === 'email') {
        if (Value.toLowerCase() !== email)
          throw invalidParameter('The email attribute must equal the username in a pool that signs in with email.');
      } else if (Name === 'sub' || Name === 'email_verified') {
        throw notAuthorized('A client attempted to write unauthorized attribute');
      } else {
        throw invalidParameter(`Attributes did not conform to the schema: ${Name}: Attribute does not exist in the schema.`);
      }
    }
    if (findUser(context, email)) throw usernameExists();
    checkPasswordPolicy(password);

    const sub = randomUUID();
    // No user exists until PreSignUp has answered: a trigger that throws leaves nothing behind.
    const decision = await context.triggers.preSignUp(
      triggerContext(context, caller, clientMetadata),
      sub,
      { email },
      validationData.length > 0 ? Object.fromEntries(validationData.map(({ Name, Value }) => [Name, Value])) : undefined,
    );
    const now = context.now();
    const user: StoredUser = {
      username: sub,
      sub,
      email,
      emailVerified: decision.autoVerifyEmail,
      status: decision.autoConfirmUser ? 'CONFIRMED' : 'UNCONFIRMED',
      createdAt: now,
      updatedAt: now,
    };
    // Re-check after the await: a concurrent SignUp for the same email may have won.
    if (findUser(context, email)) throw usernameExists();
    store.users.value[user.username] = user;
    // An auto-confirmed user gets no confirmation code.
    if (decision.autoConfirmUser) {
      await store.users.save();
      return { UserConfirmed: true, UserSub: sub };
    }
    const delivery = await sendConfirmationCode(user);
    return { UserConfirmed: false, UserSub: sub, CodeDeliveryDetails: delivery };
  };

  const confirmSignUp = async (input: Record<string, unknown>) => {
    const reader = readRequest(input);
    const clientId = requiredString(reader, 'ClientId');
    const username = requiredUsername(reader);
    const code = reader.string('ConfirmationCode', { required: true, minLength: 1, maxLength: 2048, pattern: '[\\S]+' });
    reader.finish();
    checkClient(context, clientId);
    const user = findUser(context, username);
    const throttleKey = user?.sub ?? username;
    if (codeThrottle.locked(throttleKey)) throw attemptLimitExceeded();
    if (!user) {
      if (!settings.preventUserExistenceErrors) throw new AwsError('UserNotFoundException', 'Username/client id combination not found.');
      // Counted like a real user's wrong code, so the lock cannot tell the two apart.
      if (codeThrottle.recordFailure(throttleKey)) throw attemptLimitExceeded();
      throw codeMismatch();
    }
    if (user.status === 'CONFIRMED') throw notAuthorized('User cannot be confirmed. Current status is CONFIRMED');
    const pending = user.confirmation;
    if (!pending || pending.expiresAt <= context.now()) {
      throw new AwsError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
    }
    if (!codesEqual(pending.code, code)) {
      if (codeThrottle.recordFailure(throttleKey)) {
        // The guessed-at code is void: after the lock a new one must be requested.
        delete user.confirmation;
        await store.users.save();
        throw attemptLimitExceeded();
      }
      throw codeMismatch();
    }
    delete user.confirmation;
    user.status = 'CONFIRMED';
    user.emailVerified = true;
    user.updatedAt = context.now();
    await store.users.save();
    return {};
  };

  const resendConfirmationCode = async (input: Record<string, unknown>) => {
    const reader = readRequest(input);
    const clientId = requiredString(reader, 'ClientId');
    const username = requiredUsername(reader);
    reader.finish();
    checkClient(context, clientId);
    const user = findUser(context, username);
    if (!user && !settings.preventUserExistenceErrors)
      throw new AwsError('UserNotFoundException', 'Username/client id combination not found.');
    if (user?.status === 'CONFIRMED') throw invalidParameter('User is already confirmed.');
    if (!codeThrottle.allowResend(user?.sub ?? username)) throw attemptLimitExceeded();
    // Hidden existence: answer as if a code went to an address shaped like the one asked for.
    if (!user) return { CodeDeliveryDetails: deliveryDetails(EMAIL.test(username) ? username : `${username}@example.com`) };
    return { CodeDeliveryDetails: await sendConfirmationCode(user) };
  };

  return {
    SignUp: signUp,
    ConfirmSignUp: confirmSignUp,
    ResendConfirmationCode: resendConfirmationCode,
  };
}

const usernameExists = () => new AwsError('UsernameExistsException', 'An account with the given email already exists.');
const codeMismatch = () => new AwsError('CodeMismatchException', 'Invalid verification code provided, please try again.');
const attemptLimitExceeded = () => new AwsError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');

/** Constant time: how much of a code matched must not show in the answer's timing. */
function codesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cognito masks the address it sent a code to: `a***@e***.com`. */
function deliveryDetails(email: string) {
  const [local = '', domain = ''] = email.split('@');
  const dot = domain.indexOf('.');
  const masked = `${local.charAt(0)}***@${domain.charAt(0)}***${dot >= 0 ? domain.slice(dot) : ''}`;
  return { Destination: masked, DeliveryMedium: 'EMAIL', AttributeName: 'email' };
}

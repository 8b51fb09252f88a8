/**
 * AdminGetUser, AdminUpdateUserAttributes, AdminDeleteUser and ListUsers: IAM-authorised in Cognito, so the server
 * lets only SigV4-signed calls reach them.
 */
import { AwsError } from '../aws/errors';
import type { RequestReader } from '../aws/request-reader';
import { invalidParameter, userNotFound } from './errors';
import {
  attributeList,
  attributesOf,
  findUser,
  readRequest,
  requiredString,
  requiredUsername,
  type Operation,
  type PoolContext,
} from './pool-context';
import type { StoredUser } from './store';
import type { TokenGrants } from './token-grants';

export const ADMIN_OPERATIONS: ReadonlySet<string> = new Set(['AdminGetUser', 'AdminUpdateUserAttributes', 'AdminDeleteUser', 'ListUsers']);

/** ListUsers pages hold at most 60 users. */
const LIST_LIMIT = 60;
/** The attributes ListUsers can filter on that this pool stores, with how a user's value is read. */
const FILTERABLE: Record<string, (user: StoredUser) => string> = {
  username: (user) => user.username,
  email: (user) => user.email,
  sub: (user) => user.sub,
  'cognito:user_status': (user) => user.status,
  status: () => 'Enabled',
};
/** `attribute = "value"` (exact) or `attribute ^= "value"` (prefix), as Cognito's Filter reads. */
const FILTER = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/** A user as the admin operations answer it; `wanted` limits the attributes (ListUsers' AttributesToGet). */
function userRecord(user: StoredUser, wanted?: string[]) {
  return {
    Username: user.username,
    Attributes: attributesOf(user).filter(({ Name }) => !wanted || wanted.includes(Name)),
    UserCreateDate: user.createdAt / 1000,
    UserLastModifiedDate: user.updatedAt / 1000,
    Enabled: true,
    UserStatus: user.status,
  };
}

function userFilter(filter: string | undefined): (user: StoredUser) => boolean {
  if (filter === undefined || filter === '') return () => true;
  const match = FILTER.exec(filter);
  const read = match && Object.hasOwn(FILTERABLE, match[1]!) ? FILTERABLE[match[1]!] : undefined;
  if (!match || !read) throw new AwsError('InvalidParameterException', 'Error while parsing filter.');
  const [, , operator, value] = match;
  return operator === '=' ? (user) => read(user) === value : (user) => read(user).startsWith(value!);
}

export function adminOperations(context: PoolContext, grants: TokenGrants): Record<string, Operation> {
  /** The user the request names; `readMore` reads the operation's other members before the request is checked. */
  const findByRequest = <T>(input: Record<string, unknown>, readMore: (reader: RequestReader) => T = () => undefined as T) => {
    const reader = readRequest(input);
    const poolId = requiredString(reader, 'UserPoolId');
    const username = requiredUsername(reader);
    const more = readMore(reader);
    reader.finish();
    if (poolId !== context.settings.id) throw new AwsError('ResourceNotFoundException', `User pool ${poolId} does not exist.`);
    const user = findUser(context, username);
    if (!user) throw userNotFound();
    return { user, more };
  };

  return {
    AdminGetUser: async (input) => {
      const { Attributes, ...user } = userRecord(findByRequest(input).user);
      return { ...user, UserAttributes: Attributes };
    },
    ListUsers: async (input) => {
      const reader = readRequest(input);
      const poolId = requiredString(reader, 'UserPoolId');
      const wanted = reader.stringList('AttributesToGet', { maxLength: 50 }, { maxLength: 32 });
      const filter = reader.string('Filter', { maxLength: 256 });
      const limit = reader.integer('Limit', { min: 0, max: LIST_LIMIT }) || LIST_LIMIT;
      const after = reader.string('PaginationToken', { maxLength: 256 });
      reader.finish();
      if (poolId !== context.settings.id) throw new AwsError('ResourceNotFoundException', `User pool ${poolId} does not exist.`);
      const matches = userFilter(filter);
      // Sorted by username, so a page token is the last username of the page before.
      const users = Object.values(context.store.users.value)
        .filter(matches)
        .sort((a, b) => a.username.localeCompare(b.username))
        .filter((user) => after === undefined || user.username.localeCompare(after) > 0);
      const page = users.slice(0, limit);
      return {
        Users: page.map((user) => userRecord(user, wanted)),
        ...(users.length > page.length ? { PaginationToken: page.at(-1)!.username } : {}),
      };
    },
    // What verify sends once the email code proved the address: email_verified, with the email as it is. The local
    // pool changes no address (the request is refused and nothing changes).
    AdminUpdateUserAttributes: async (input) => {
      const { user, more: attributes } = findByRequest(input, (reader) => {
        const list = attributeList(reader, 'UserAttributes', { required: true, minLength: 1 });
        reader.stringMap('ClientMetadata');
        return list;
      });
      let verified = user.emailVerified;
      for (const { Name, Value } of attributes) {
        if (Name === 'email') {
          if (Value.toLowerCase() !== user.email) throw invalidParameter('The local user pool does not change email addresses.');
        } else if (Name === 'email_verified') {
          if (Value !== 'true' && Value !== 'false') throw invalidParameter('email_verified must be true or false.');
          verified = Value === 'true';
        } else {
          throw invalidParameter(`The local user pool updates only email and email_verified, not ${Name}.`);
        }
      }
      user.emailVerified = verified;
      user.updatedAt = context.now();
      await context.store.users.save();
      return {};
    },
    AdminDeleteUser: async (input) => {
      const { user } = findByRequest(input);
      delete context.store.users.value[user.username];
      grants.revokeUser(user.username);
      await Promise.all([context.store.users.save(), grants.saveRevocations()]);
      return {};
    },
  };
}

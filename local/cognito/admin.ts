/** AdminGetUser and AdminDeleteUser: IAM-authorised in Cognito, so the server lets only SigV4-signed calls reach them. */
import { AwsError } from '../aws/errors';
import { userNotFound } from './errors';
import { attributesOf, findUser, readRequest, requiredString, type Operation, type PoolContext } from './pool-context';
import type { StoredUser } from './store';
import type { TokenGrants } from './token-grants';

export const ADMIN_OPERATIONS: ReadonlySet<string> = new Set(['AdminGetUser', 'AdminDeleteUser']);

export function adminOperations(context: PoolContext, grants: TokenGrants): Record<string, Operation> {
  const findByRequest = (input: Record<string, unknown>): StoredUser => {
    const reader = readRequest(input);
    const poolId = requiredString(reader, 'UserPoolId');
    const username = requiredString(reader, 'Username');
    reader.finish();
    if (poolId !== context.settings.id) throw new AwsError('ResourceNotFoundException', `User pool ${poolId} does not exist.`);
    const user = findUser(context, username);
    if (!user) throw userNotFound();
    return user;
  };

  return {
    AdminGetUser: async (input) => {
      const user = findByRequest(input);
      return {
        Username: user.username,
        UserAttributes: attributesOf(user),
        UserCreateDate: user.createdAt / 1000,
        UserLastModifiedDate: user.updatedAt / 1000,
        Enabled: true,
        UserStatus: user.status,
      };
    },
    AdminDeleteUser: async (input) => {
      const user = findByRequest(input);
      delete context.store.users.value[user.username];
      grants.revokeUser(user.username);
      await Promise.all([context.store.users.save(), grants.saveRevocations()]);
      return {};
    },
  };
}

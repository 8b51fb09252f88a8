/**
 * Deleting an account: every face, object and item first, the Cognito user last. A failure halfway leaves the
 * user in the pool, so the same call (the account API with the same token, or `npm run forget`) can run again
 * and finish; anything a sign-in in flight writes after the purge belongs to a sub the pool no longer has, which
 * the scheduled sweep removes.
 */
import { AdminDeleteUserCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { requestOptions } from './aws-clients';
import { type PurgeCounts, type PurgeTargets, purgeUserData } from './purge';

export interface AccountTargets extends PurgeTargets {
  cognito: CognitoIdentityProviderClient;
  userPoolId: string;
}

export interface AccountDeletion extends PurgeCounts {
  /** Whether this run deleted the Cognito user (false: it was gone already). */
  user: boolean;
}

export async function deleteAccount(targets: AccountTargets, user: { sub: string; username: string }): Promise<AccountDeletion> {
  const counts = await purgeUserData(targets, user.sub);
  try {
    await targets.cognito.send(new AdminDeleteUserCommand({ UserPoolId: targets.userPoolId, Username: user.username }), requestOptions());
    return { ...counts, user: true };
  } catch (error) {
    if ((error as Error).name === 'UserNotFoundException') return { ...counts, user: false };
    throw error;
  }
}

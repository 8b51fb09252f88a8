/**
 * The user pool and its one app client: the operations of the Cognito API subset, over the persistent store, the
 * token signer and the custom-auth triggers, composed from one module per concern: sign-up and confirmation
 * (sign-up.ts), the auth flows (auth-flow.ts), the tokens they grant (token-grants.ts) and the admin operations
 * (admin.ts). Each operation takes the parsed JSON request and returns the JSON response, or throws an AwsError
 * with Cognito's exception name and wording.
 */
import { adminOperations } from './admin';
import { AuthFlow } from './auth-flow';
import type { Operation, PoolContext } from './pool-context';
import { signUpOperations } from './sign-up';
import { TokenGrants } from './token-grants';

export { ADMIN_OPERATIONS } from './admin';
export type { CallerInfo, Operation, UserPoolSettings } from './pool-context';

export function userPoolOperations(context: PoolContext): Record<string, Operation> {
  const grants = new TokenGrants(context);
  return {
    ...signUpOperations(context),
    ...new AuthFlow(context, grants).operations,
    ...grants.operations,
    ...adminOperations(context, grants),
  };
}

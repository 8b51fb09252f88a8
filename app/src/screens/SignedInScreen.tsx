import { Button, Flex, Heading, Text } from '@aws-amplify/ui-react';
import { Screen } from './Screen';
import { SignOutButton } from './SignOutButton';

export interface IdentityClaims {
  email: string;
  sub: string;
  /** Seconds since the epoch, from the ID token's auth_time. */
  authTime?: number;
}

/** The account actions, offered when the stack has the account API. */
export interface AccountActions {
  freshSignInMinutes: number;
  onReplaceIdPhoto: () => void;
  onDeleteAccount: () => void;
}

export function SignedInScreen({
  claims,
  account,
  onSignOut,
}: {
  claims: IdentityClaims;
  account?: AccountActions;
  onSignOut: () => Promise<void>;
}) {
  return (
    <Screen title="You are signed in">
      <dl className="claims">
        <dt>Email</dt>
        <dd data-testid="signed-in-email">{claims.email}</dd>
        <dt>User id</dt>
        <dd>
          <code>{claims.sub}</code>
        </dd>
        {claims.authTime !== undefined && (
          <>
            <dt>Signed in at</dt>
            <dd>{new Date(claims.authTime * 1000).toLocaleString()}</dd>
          </>
        )}
      </dl>
      <Text>Your face was checked live and matched the photo on your ID document.</Text>
      {account && (
        <section aria-labelledby="account-actions">
          <Flex direction="column" gap="small">
            <Heading level={2} id="account-actions" className="section-title">
              Your account
            </Heading>
            <Text>Within {account.freshSignInMinutes} minutes of a face sign-in you can replace your ID photo or delete your account.</Text>
            <Flex gap="small" wrap="wrap">
              <Button onClick={account.onReplaceIdPhoto}>Replace my ID photo</Button>
              <Button colorTheme="error" onClick={account.onDeleteAccount}>
                Delete my account
              </Button>
            </Flex>
          </Flex>
        </section>
      )}
      <SignOutButton label="Sign out" onSignOut={onSignOut} />
    </Screen>
  );
}

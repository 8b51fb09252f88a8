import { useState } from 'react';
import { Button, Text } from '@aws-amplify/ui-react';
import { Screen } from './Screen';

export interface IdentityClaims {
  email: string;
  sub: string;
  /** Seconds since the epoch, from the ID token's auth_time. */
  authTime?: number;
}

export function SignedInScreen({ claims, onSignOut }: { claims: IdentityClaims; onSignOut: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
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
      <Button
        variation="primary"
        isLoading={busy}
        loadingText="Signing out…"
        onClick={async () => {
          setBusy(true);
          await onSignOut();
        }}
      >
        Sign out
      </Button>
    </Screen>
  );
}

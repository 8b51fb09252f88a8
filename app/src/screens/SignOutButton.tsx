import { useState } from 'react';
import { Button } from '@aws-amplify/ui-react';

/** Signs out, showing progress until the next screen replaces this one. */
export function SignOutButton({ label, onSignOut }: { label: string; onSignOut: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  return (
    <Button
      variation="primary"
      isLoading={busy}
      loadingText="Signing out…"
      onClick={async () => {
        setBusy(true);
        await onSignOut();
      }}
    >
      {label}
    </Button>
  );
}

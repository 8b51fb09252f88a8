import { useState } from 'react';
import { Button, Text } from '@aws-amplify/ui-react';
import { EMAIL_FIELD, OneFieldForm } from './OneFieldForm';
import { Screen, type Notice } from './Screen';

export function SignInScreen({
  initialEmail,
  notice,
  onSubmit,
  onSignUp,
}: {
  initialEmail?: string;
  notice?: Notice;
  onSubmit: (email: string) => Promise<void>;
  onSignUp: () => void;
}) {
  const [email, setEmail] = useState(initialEmail ?? '');
  const [busy, setBusy] = useState(false);

  async function submit() {
    setBusy(true);
    try {
      await onSubmit(email.trim().toLowerCase());
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title="Sign in with your face" notice={notice}>
      <Text>
        Enter your email. The first time, you type a code we email you and register a photo of your ID document; then a short video check
        signs you in.
      </Text>
      <OneFieldForm
        field={EMAIL_FIELD}
        value={email}
        onChange={setEmail}
        submit={['Continue', 'Starting…']}
        busy={busy}
        onSubmit={submit}
      />
      <Button variation="link" onClick={onSignUp}>
        New here? Create an account
      </Button>
    </Screen>
  );
}

import { useState } from 'react';
import { Button, Text } from '@aws-amplify/ui-react';
import { signUp } from 'aws-amplify/auth';
import { errorName, signUpMessage } from '../messages';
import { randomPassword } from '../password';
import { EMAIL_FIELD, OneFieldForm } from './OneFieldForm';
import { Screen } from './Screen';
import { useSubmission } from './useSubmission';

/**
 * Sign-up is confirmed at once (the PreSignUp trigger); the email is proven by the code the first sign-in sends.
 * So `onSignedUp` starts that sign-in, also for an address that already has an account: whoever created it, only
 * the owner of the mailbox gets past the code.
 */
export function SignUpScreen({ onSignedUp, onSignIn }: { onSignedUp: (email: string) => Promise<void>; onSignIn: () => void }) {
  const [email, setEmail] = useState('');
  const { busy, notice, run } = useSubmission();

  const submit = () =>
    run(async () => {
      const address = email.trim().toLowerCase();
      try {
        // Cognito requires a password; nobody ever types it, sign-in is by face.
        await signUp({ username: address, password: randomPassword(), options: { userAttributes: { email: address } } });
      } catch (error) {
        if (errorName(error) !== 'UsernameExistsException') throw error;
      }
      await onSignedUp(address);
    }, signUpMessage);

  return (
    <Screen title="Create an account" notice={notice}>
      <Text>No password: you confirm your email with a code, register a photo of your ID document, and sign in with your face.</Text>
      <OneFieldForm
        field={EMAIL_FIELD}
        value={email}
        onChange={setEmail}
        submit={['Create account', 'Creating account…']}
        busy={busy}
        onSubmit={submit}
      />
      <Button variation="link" onClick={onSignIn}>
        I already have an account: sign in
      </Button>
    </Screen>
  );
}

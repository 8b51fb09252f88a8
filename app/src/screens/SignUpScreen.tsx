import { useState } from 'react';
import { Button, Text } from '@aws-amplify/ui-react';
import { signUp } from 'aws-amplify/auth';
import { randomPassword } from '../password';
import { signUpMessage } from '../messages';
import { EMAIL_FIELD, OneFieldForm } from './OneFieldForm';
import { Screen } from './Screen';
import { useSubmission } from './useSubmission';

export function SignUpScreen({ onCodeSent, onSignIn }: { onCodeSent: (email: string) => void; onSignIn: () => void }) {
  const [email, setEmail] = useState('');
  const { busy, notice, run } = useSubmission();

  const submit = () =>
    run(async () => {
      const address = email.trim().toLowerCase();
      // Cognito requires a password; nobody ever types it, sign-in is by face.
      const result = await signUp({
        username: address,
        password: randomPassword(),
        options: { userAttributes: { email: address } },
      });
      if (result.nextStep.signUpStep === 'CONFIRM_SIGN_UP') onCodeSent(address);
      else onSignIn();
    }, signUpMessage);

  return (
    <Screen title="Create an account" notice={notice}>
      <Text>No password: you confirm your email, register a photo of your ID document, and sign in with your face.</Text>
      <OneFieldForm field={EMAIL_FIELD} value={email} onChange={setEmail} submit={['Create account', 'Creating account…']} busy={busy} onSubmit={submit} />
      <Button variation="link" onClick={onSignIn}>
        I already have an account: sign in
      </Button>
    </Screen>
  );
}

import { useState } from 'react';
import { Button, Link, Text } from '@aws-amplify/ui-react';
import { confirmSignUp, resendSignUpCode } from 'aws-amplify/auth';
import { confirmSignUpMessage } from '../messages';
import { CODE_FIELD, OneFieldForm } from './OneFieldForm';
import { Screen } from './Screen';
import { useSubmission } from './useSubmission';

export function ConfirmSignUpScreen({
  email,
  mailboxUrl,
  onConfirmed,
}: {
  email: string;
  mailboxUrl?: string;
  onConfirmed: () => void;
}) {
  const [code, setCode] = useState('');
  const { busy, notice, setNotice, run } = useSubmission();

  const submit = () =>
    run(async () => {
      await confirmSignUp({ username: email, confirmationCode: code.trim() });
      onConfirmed();
    }, confirmSignUpMessage);

  const resend = () =>
    run(async () => {
      await resendSignUpCode({ username: email });
      setNotice({ tone: 'info', text: `A new code is on its way to ${email}.` });
    }, confirmSignUpMessage);

  return (
    <Screen title="Confirm your email" notice={notice}>
      <Text>
        We sent a confirmation code to <strong>{email}</strong>.
        {mailboxUrl && (
          <>
            {' '}
            On this local stack no email leaves the machine: the code is in the{' '}
            <Link href={`${mailboxUrl.replace(/\/+$/, '')}/${encodeURIComponent(email)}`} isExternal>
              development mailbox
            </Link>{' '}
            (and printed in the console of <code>npm start</code>).
          </>
        )}
      </Text>
      <OneFieldForm field={CODE_FIELD} value={code} onChange={setCode} submit={['Confirm email', 'Confirming…']} busy={busy} onSubmit={submit} />
      <Button variation="link" onClick={resend}>
        Send a new code
      </Button>
    </Screen>
  );
}

import { useEffect, useMemo, useState } from 'react';
import { Link, Text } from '@aws-amplify/ui-react';
import type { EmailCodeChallenge } from '../challenge';
import { EMAIL_CODE_REFUSED } from '../messages';
import { CODE_FIELD, OneFieldForm } from './OneFieldForm';
import { Screen, type Notice } from './Screen';

/** The EMAIL_CODE step: the code sent to the address proves it before any ID photo is taken. */
export function EmailCodeScreen({
  email,
  challenge,
  previousRefused,
  round,
  mailboxUrl,
  onAnswer,
}: {
  email: string;
  challenge: EmailCodeChallenge;
  previousRefused: boolean;
  /** Counts the challenges shown: each refusal is a new notice, which takes focus, and an empty field. */
  round: number;
  /** The local stack's development mailbox. */
  mailboxUrl?: string;
  /** Answers the challenge; a wrong code brings this step back with `previousRefused`. */
  onAnswer: (code: string) => Promise<void>;
}) {
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new round is a new notice object, so the screen announces it again
  const notice = useMemo<Notice | undefined>(
    () => (previousRefused ? { tone: 'error', text: EMAIL_CODE_REFUSED } : undefined),
    [previousRefused, round],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: each round (a new challenge, for the same code or a new one) clears the field
  useEffect(() => setCode(''), [round]);

  async function submit() {
    setBusy(true);
    try {
      await onAnswer(code.replace(/\s/g, ''));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title="Check your email" notice={notice}>
      <Text>
        We sent a code to <strong data-testid="code-destination">{challenge.destination}</strong>. Type its {challenge.codeLength} digits to
        go on.
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
      <OneFieldForm
        field={CODE_FIELD}
        value={code}
        onChange={setCode}
        submit={['Continue', 'Checking the code…']}
        busy={busy}
        onSubmit={submit}
      />
    </Screen>
  );
}

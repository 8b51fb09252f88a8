/**
 * What the account screens share about a call to the account API: busy while it runs, a refusal (403) turned into
 * "sign in again with your face" with the button for it, a lost session (401) handed up, anything else a notice.
 */
import { useState } from 'react';
import { Button, Flex } from '@aws-amplify/ui-react';
import { AccountApiError } from '../account';
import { accountFailureMessage, freshSignInNeededMessage } from '../messages';
import { UploadError } from '../upload';
import type { Notice } from './Screen';
import { SignOutButton } from './SignOutButton';

export interface AccountScreenProps {
  /** How long after a face sign-in the account API allows the action. */
  freshSignInMinutes: number;
  onBack: () => void;
  /** Signs out and opens sign-in, for a fresh face sign-in. */
  onSignInAgain: () => Promise<void>;
  /** The session is gone (401): sign out and say so. */
  onSignedOut: () => Promise<void>;
}

/** `action` completes "sign in again, then ___ within N minutes". */
export function useAccountRequest(action: string, { freshSignInMinutes, onSignedOut }: AccountScreenProps) {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>();
  const [needsFreshSignIn, setNeedsFreshSignIn] = useState(false);

  /** Runs `request`; `failed` runs after a failure that leaves the user on this screen. */
  async function run(request: () => Promise<void>, failed?: () => void): Promise<void> {
    setBusy(true);
    setNotice(undefined);
    try {
      await request();
    } catch (error) {
      if (error instanceof AccountApiError && error.kind === 'signedOut') return onSignedOut();
      if (error instanceof AccountApiError && error.kind === 'refused') {
        setNeedsFreshSignIn(true);
        setNotice({ tone: 'warning', text: freshSignInNeededMessage(action, freshSignInMinutes) });
      } else {
        setNotice({ tone: 'error', text: error instanceof UploadError ? error.message : accountFailureMessage(error) });
      }
      failed?.();
    } finally {
      setBusy(false);
    }
  }

  return { busy, notice, setNotice, needsFreshSignIn, run };
}

/** The way on after a refusal for a sign-in that is not fresh enough. */
export function FreshSignInActions({ onSignInAgain, onBack }: Pick<AccountScreenProps, 'onSignInAgain' | 'onBack'>) {
  return (
    <Flex gap="small" wrap="wrap">
      <SignOutButton label="Sign in again" onSignOut={onSignInAgain} />
      <Button onClick={onBack}>Back to my account</Button>
    </Flex>
  );
}

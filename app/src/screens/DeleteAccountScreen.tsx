import { useState, type FormEvent } from 'react';
import { Button, Flex, Text, TextField } from '@aws-amplify/ui-react';
import type { AccountClient, DeletedAccount } from '../account';
import { Screen } from './Screen';
import { FreshSignInActions, useAccountRequest, type AccountScreenProps } from './useAccountRequest';

/** Deletion is final, so it waits until the user has typed their own email address. */
export function DeleteAccountScreen({
  email,
  account,
  onDeleted,
  ...props
}: AccountScreenProps & { email: string; account: AccountClient; onDeleted: (deleted: DeletedAccount) => Promise<void> }) {
  const { busy, notice, needsFreshSignIn, run } = useAccountRequest('delete your account', props);
  const [typed, setTyped] = useState('');
  const confirmed = email !== '' && typed.trim().toLowerCase() === email.toLowerCase();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (confirmed) void run(async () => onDeleted(await account.deleteAccount()));
  }

  return (
    <Screen title="Delete my account" notice={notice}>
      <Text>
        This deletes your account for good, with everything stored for it: your ID photos, your face in the face collection, the images of
        your video checks and your sign-in records. It cannot be undone.
      </Text>
      {needsFreshSignIn ? (
        <FreshSignInActions onSignInAgain={props.onSignInAgain} onBack={props.onBack} />
      ) : (
        <form onSubmit={submit}>
          <Flex direction="column" gap="medium">
            <TextField
              label="To confirm, type your email address"
              descriptiveText={email}
              name="confirm-email"
              type="email"
              autoComplete="off"
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
            />
            <Flex gap="small" wrap="wrap">
              <Button type="submit" variation="destructive" isDisabled={!confirmed} isLoading={busy} loadingText="Deleting your account…">
                Delete my account and face data
              </Button>
              <Button onClick={props.onBack} isDisabled={busy}>
                Keep my account
              </Button>
            </Flex>
          </Flex>
        </form>
      )}
    </Screen>
  );
}

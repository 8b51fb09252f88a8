import { Button, Flex, Text } from '@aws-amplify/ui-react';
import type { DeletedAccount } from '../account';
import { Screen } from './Screen';

export function AccountDeletedScreen({
  deleted,
  onSignUp,
  onSignIn,
}: {
  deleted: DeletedAccount;
  onSignUp: () => void;
  onSignIn: () => void;
}) {
  return (
    <Screen title="Your account and its face data were deleted">
      <dl className="claims" data-testid="deleted-counts">
        <dt>Faces removed from the face collection</dt>
        <dd>{deleted.faces}</dd>
        <dt>Photos and video check images deleted</dt>
        <dd>{deleted.objects}</dd>
        <dt>Records deleted</dt>
        <dd>{deleted.items}</dd>
      </dl>
      <Text>You are signed out, and nothing of your account is kept. To use face sign-in again, create a new account.</Text>
      <Flex gap="small" wrap="wrap">
        <Button variation="primary" onClick={onSignUp}>
          Create a new account
        </Button>
        <Button onClick={onSignIn}>Sign in</Button>
      </Flex>
    </Screen>
  );
}

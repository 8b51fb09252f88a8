import { useEffect, useRef, useState } from 'react';
import { Button, Loader, Text } from '@aws-amplify/ui-react';
import type { AccountClient, IdPhotoUpload } from '../account';
import { idPhotoRefusedMessage } from '../messages';
import { describeBytes, describeTypes, PICKABLE_TYPES, uploadIdPhoto } from '../upload';
import { IdPhotoPicker } from './IdPhotoPicker';
import { Screen } from './Screen';
import { FreshSignInActions, useAccountRequest, type AccountScreenProps } from './useAccountRequest';

/** An upload policy lasts two minutes: an unused upload older than this is replaced rather than sent late. */
const UPLOAD_REUSE_MS = 60_000;

const ACCEPTED = 'Your new ID photo is registered, and the old one is deleted. From now on your face is compared with the new one.';

/**
 * Replaces the ID photo: the upload is issued when the screen opens, so a sign-in that is not fresh enough is told
 * before a photo is taken. Each upload is single use: a second try (after a refusal) gets a new one.
 */
export function ReplaceIdPhotoScreen({ account, ...props }: AccountScreenProps & { account: AccountClient }) {
  const { busy, notice, setNotice, needsFreshSignIn, run } = useAccountRequest('replace your ID photo', props);
  const [maxBytes, setMaxBytes] = useState<number>();
  const [accepted, setAccepted] = useState(false);
  const [unavailable, setUnavailable] = useState(false);
  const unused = useRef<{ upload: IdPhotoUpload; issuedAt: number }>(undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: one upload when the screen opens
  useEffect(() => {
    void run(
      async () => {
        const upload = await account.startIdPhotoReplacement();
        unused.current = { upload, issuedAt: Date.now() };
        setMaxBytes(upload.target.maxBytes);
      },
      () => setUnavailable(true),
    );
  }, []);

  const send = (photo: Blob) =>
    run(async () => {
      const held = unused.current;
      unused.current = undefined;
      const { uploadId, target } =
        held && Date.now() - held.issuedAt < UPLOAD_REUSE_MS ? held.upload : await account.startIdPhotoReplacement();
      await uploadIdPhoto(target, photo);
      const decision = await account.idPhotoDecision(uploadId);
      if (decision.status === 'ACCEPTED') {
        setAccepted(true);
        setNotice({ tone: 'success', text: ACCEPTED });
      } else {
        setNotice({ tone: 'error', text: idPhotoRefusedMessage(decision.reason) });
      }
    });

  function body() {
    if (needsFreshSignIn) return <FreshSignInActions onSignInAgain={props.onSignInAgain} onBack={props.onBack} />;
    if (accepted || unavailable) {
      return (
        <Button variation="primary" onClick={props.onBack}>
          Back to my account
        </Button>
      );
    }
    if (maxBytes === undefined) return <Loader ariaLabel="Preparing the upload" />;
    return (
      <>
        <Text>
          Take or choose a photo of your current ID document (passport, ID card or driving licence) with your face clearly visible: a{' '}
          {describeTypes(PICKABLE_TYPES)} photo, sent as a JPEG of up to {describeBytes(maxBytes)}. Its face must match the face of your
          video check. Your current photo stays until the new one is accepted.
        </Text>
        <IdPhotoPicker maxBytes={maxBytes} busy={busy} busyLabel="Checking your photo…" onNotice={setNotice} onSend={send} />
        <Button variation="link" onClick={props.onBack} isDisabled={busy}>
          Back to my account
        </Button>
      </>
    );
  }

  return (
    <Screen title="Replace my ID photo" notice={notice}>
      {body()}
    </Screen>
  );
}

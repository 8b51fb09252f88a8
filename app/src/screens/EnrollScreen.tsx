import { useState } from 'react';
import { Text } from '@aws-amplify/ui-react';
import type { EnrollChallenge } from '../challenge';
import { describeBytes, describeTypes, PICKABLE_TYPES, uploadIdPhoto, UploadError } from '../upload';
import { IdPhotoPicker } from './IdPhotoPicker';
import { Screen, type Notice } from './Screen';

const ENROLL_REFUSED: Notice = {
  tone: 'error',
  text:
    'We could not use that photo. Use a sharp photo of your ID document that shows exactly one face, ' +
    'not already registered to another account. Try again with a new photo.',
};

export function EnrollScreen({
  challenge,
  previousRefused,
  onUploaded,
}: {
  challenge: EnrollChallenge;
  previousRefused: boolean;
  onUploaded: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | undefined>(previousRefused ? ENROLL_REFUSED : undefined);

  async function send(photo: Blob) {
    setBusy(true);
    setNotice(undefined);
    try {
      await uploadIdPhoto(challenge, photo);
      await onUploaded();
    } catch (error) {
      setNotice({ tone: 'error', text: error instanceof UploadError ? error.message : String(error) });
      setBusy(false);
    }
  }

  return (
    <Screen title="Register your ID photo" notice={notice}>
      <Text>
        Take or choose a photo of your ID document (passport, ID card or driving licence) with your face clearly visible: a{' '}
        {describeTypes(PICKABLE_TYPES)} photo, sent as a JPEG of up to {describeBytes(challenge.maxBytes)}. It is compared with your face
        each time you sign in.
      </Text>
      <IdPhotoPicker maxBytes={challenge.maxBytes} busy={busy} busyLabel="Checking your photo…" onNotice={setNotice} onSend={send} />
    </Screen>
  );
}

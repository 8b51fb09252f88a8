import { useState } from 'react';
import { Button, Text } from '@aws-amplify/ui-react';
import { FaceLivenessDetectorCore, type AwsCredentialProvider } from '@aws-amplify/ui-react-liveness';
import type { LivenessChallenge } from '../challenge';
import type { LivenessConfig } from '../config';
import { Screen, type Notice } from './Screen';

export const LIVENESS_REFUSED: Notice = {
  tone: 'error',
  text:
    'We could not confirm that it is you. Face the camera in good, even light, without sunglasses or a mask, ' +
    'and move closer until your face fills the oval. A new check is ready.',
};

const LIVENESS_INTERRUPTED =
  'The video check stopped before it finished. Allow camera access and keep your face in the oval. ' +
  'Trying again starts a new check and counts as one attempt.';

export function LivenessScreen({
  challenge,
  previousRefused,
  config,
  credentialProvider,
  onAnswer,
}: {
  challenge: LivenessChallenge;
  previousRefused: boolean;
  config: LivenessConfig;
  credentialProvider?: AwsCredentialProvider;
  /** Answers the challenge with the session id; a refusal brings a new challenge with a fresh session. */
  onAnswer: (sessionId: string) => Promise<void>;
}) {
  const [interrupted, setInterrupted] = useState(false);
  const [busy, setBusy] = useState(false);
  const notice: Notice | undefined = interrupted
    ? { tone: 'warning', text: LIVENESS_INTERRUPTED }
    : previousRefused
      ? LIVENESS_REFUSED
      : undefined;

  async function answer() {
    setBusy(true);
    try {
      await onAnswer(challenge.sessionId);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title="Video check" notice={notice}>
      {interrupted ? (
        <Button variation="primary" onClick={answer} isLoading={busy} loadingText="Preparing a new check…">
          Try again
        </Button>
      ) : (
        <>
          <Text>Hold your phone or face your screen at eye level. The screen flashes colours briefly; you only need to look at it.</Text>
          <div className="liveness">
            <FaceLivenessDetectorCore
              // A new session id means a new, single-use Rekognition session: start the component afresh.
              key={challenge.sessionId}
              sessionId={challenge.sessionId}
              region={challenge.region}
              config={{ ...config, ...(credentialProvider ? { credentialProvider } : {}) }}
              onAnalysisComplete={answer}
              onUserCancel={() => setInterrupted(true)}
              onError={() => setInterrupted(true)}
            />
          </div>
        </>
      )}
    </Screen>
  );
}

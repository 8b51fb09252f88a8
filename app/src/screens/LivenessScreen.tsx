import { useState } from 'react';
import { Button, Text } from '@aws-amplify/ui-react';
import { FaceLivenessDetectorCore, type AwsCredentialProvider, type ErrorState } from '@aws-amplify/ui-react-liveness';
import type { LivenessChallenge } from '../challenge';
import type { LivenessConfig } from '../config';
import { livenessInterruptionMessage } from '../messages';
import { Screen, type Notice } from './Screen';

export const LIVENESS_REFUSED: Notice = {
  tone: 'error',
  text:
    'We could not confirm that it is you. Face the camera in good, even light, without sunglasses or a mask, ' +
    'and move closer until your face fills the oval. A new check is ready.',
};

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
  /**
   * Answers the challenge with the session id; a refusal brings a new challenge with a fresh session.
   * `abandoned`: the check was interrupted, so the answer only asks for that fresh session.
   */
  onAnswer: (sessionId: string, abandoned: boolean) => Promise<void>;
}) {
  const [interrupted, setInterrupted] = useState<Notice>();
  const [busy, setBusy] = useState(false);
  const notice = interrupted ?? (previousRefused ? LIVENESS_REFUSED : undefined);
  const interrupt = (state: ErrorState | 'USER_CANCEL') => setInterrupted({ tone: 'warning', text: livenessInterruptionMessage(state) });

  async function answer(abandoned: boolean) {
    setBusy(true);
    try {
      await onAnswer(challenge.sessionId, abandoned);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Screen title="Video check" notice={notice}>
      {interrupted ? (
        <Button variation="primary" onClick={() => answer(true)} isLoading={busy} loadingText="Preparing a new check…">
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
              onAnalysisComplete={() => answer(false)}
              onUserCancel={() => interrupt('USER_CANCEL')}
              onError={({ state }) => interrupt(state)}
            />
          </div>
        </>
      )}
    </Screen>
  );
}

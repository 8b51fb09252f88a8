import { useState } from 'react';
import { Button, Text } from '@aws-amplify/ui-react';
import { FaceLivenessDetectorCore, type AwsCredentialProvider, type ErrorState } from '@aws-amplify/ui-react-liveness';
import type { LivenessChallenge } from '../challenge';
import type { LivenessConfig } from '../config';
import { Screen, type Notice } from './Screen';

export const LIVENESS_REFUSED: Notice = {
  tone: 'error',
  text:
    'We could not confirm that it is you. Face the camera in good, even light, without sunglasses or a mask, ' +
    'and move closer until your face fills the oval. A new check is ready.',
};

/** What to do about each way the component can stop (its LivenessError states). */
const INTERRUPTION_HINTS: Partial<Record<ErrorState, string>> = {
  CAMERA_ACCESS_ERROR: 'The camera could not be opened. Allow camera access for this site.',
  DEFAULT_CAMERA_NOT_FOUND_ERROR: 'No camera was found. Connect a camera or use a phone.',
  CAMERA_FRAMERATE_ERROR: 'This camera is too slow for the check (it needs 15 frames a second). Try another camera or device.',
  TIMEOUT: 'Your face did not fill the oval in time. Move closer until it fills the oval, then hold still.',
  FACE_DISTANCE_ERROR: 'Start a little further from the camera, then move closer when the oval appears.',
  FRESHNESS_TIMEOUT: 'The check timed out while the screen flashed colours. Keep your face in the oval until it finishes.',
  MULTIPLE_FACES_ERROR: 'More than one face was in view. Make sure only you are in front of the camera.',
  MOBILE_LANDSCAPE_ERROR: 'Turn your phone upright (portrait).',
};
const CONNECTION_HINT = 'The check could not reach the service. Check your connection.';

function interruptedNotice(state: ErrorState | 'USER_CANCEL'): Notice {
  const hint = state === 'USER_CANCEL' ? 'You stopped the check.' : (INTERRUPTION_HINTS[state] ?? CONNECTION_HINT);
  return { tone: 'warning', text: `${hint} Trying again starts a new check and counts as one attempt.` };
}

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
              onUserCancel={() => setInterrupted(interruptedNotice('USER_CANCEL'))}
              onError={({ state }) => setInterrupted(interruptedNotice(state))}
            />
          </div>
        </>
      )}
    </Screen>
  );
}

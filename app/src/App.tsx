import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Loader } from '@aws-amplify/ui-react';
import { confirmSignIn, fetchAuthSession, getCurrentUser, signIn, signOut, type SignInOutput } from 'aws-amplify/auth';
import { accountClient, type DeletedAccount } from './account';
import { ENROLL_ANSWER, type Challenge, type EmailCodeChallenge, type EnrollChallenge, type LivenessChallenge } from './challenge';
import type { AppConfig } from './config';
import { accessToken, livenessCredentialProvider, absoluteUrl } from './amplify';
import { nextFlowStep } from './flow';
import { answerMessage, signInStartMessage } from './messages';
import { AccountDeletedScreen } from './screens/AccountDeletedScreen';
import { DeleteAccountScreen } from './screens/DeleteAccountScreen';
import { EmailCodeScreen } from './screens/EmailCodeScreen';
import { EnrollScreen } from './screens/EnrollScreen';
import { ReplaceIdPhotoScreen } from './screens/ReplaceIdPhotoScreen';
import type { Notice } from './screens/Screen';
import { SignedInScreen, type IdentityClaims } from './screens/SignedInScreen';
import { SignInScreen } from './screens/SignInScreen';
import { SignUpScreen } from './screens/SignUpScreen';

// The liveness component brings TensorFlow.js: load it only when a video check is due.
const LivenessScreen = lazy(() => import('./screens/LivenessScreen').then(({ LivenessScreen }) => ({ default: LivenessScreen })));

type View =
  | { name: 'loading' }
  | { name: 'signUp' }
  | { name: 'signIn'; email?: string; notice?: Notice }
  /** `round` tells apart the EMAIL_CODE challenges of a sign-in, which carry nothing unique. */
  | { name: 'emailCode'; email: string; challenge: EmailCodeChallenge; previousRefused: boolean; round: number }
  | { name: 'enroll'; email: string; challenge: EnrollChallenge; previousRefused: boolean }
  | { name: 'liveness'; email: string; challenge: LivenessChallenge; previousRefused: boolean }
  | { name: 'signedIn'; claims: IdentityClaims }
  | { name: 'replaceIdPhoto'; claims: IdentityClaims }
  | { name: 'deleteAccount'; claims: IdentityClaims }
  | { name: 'accountDeleted'; deleted: DeletedAccount };

async function identityClaims(): Promise<IdentityClaims> {
  const { tokens } = await fetchAuthSession();
  const payload = tokens?.idToken?.payload;
  if (!payload || typeof payload.sub !== 'string') throw new Error('the session has no ID token');
  return {
    sub: payload.sub,
    email: typeof payload.email === 'string' ? payload.email : '',
    authTime: typeof payload.auth_time === 'number' ? payload.auth_time : undefined,
  };
}

export function App({ config }: { config: AppConfig }) {
  const [view, setView] = useState<View>({ name: 'loading' });
  const rounds = useRef(0);

  // Amplify keeps the tokens across reloads; a stored session goes straight to the signed-in page.
  useEffect(() => {
    getCurrentUser()
      .then(identityClaims)
      .then((claims) => setView({ name: 'signedIn', claims }))
      .catch(() => setView({ name: 'signIn' }));
  }, []);

  const follow = useCallback(
    /** `abandoned`: the answer gave up an interrupted check, so its refusal is expected, not news. */
    async (email: string, output: SignInOutput, answered?: Challenge['step'], abandoned = false) => {
      const step = nextFlowStep(output, answered);
      switch (step.kind) {
        case 'signedIn':
          return setView({ name: 'signedIn', claims: await identityClaims() });
        case 'challenge': {
          const { challenge, previousRefused } = step;
          switch (challenge.step) {
            case 'EMAIL_CODE':
              return setView({ name: 'emailCode', email, challenge, previousRefused, round: ++rounds.current });
            case 'ENROLL_ID_PHOTO':
              return setView({ name: 'enroll', email, challenge, previousRefused });
            case 'FACE_LIVENESS':
              return setView({ name: 'liveness', email, challenge, previousRefused: previousRefused && !abandoned });
          }
          return;
        }
        case 'unsupported':
          return setView({
            name: 'signIn',
            email,
            notice: { tone: 'error', text: `This user pool asked for "${step.signInStep}", which face sign-in does not support.` },
          });
      }
    },
    [],
  );

  const start = useCallback(
    async (email: string) => {
      let output: SignInOutput;
      try {
        output = await signIn({ username: email, options: { authFlowType: 'CUSTOM_WITHOUT_SRP' } });
      } catch (error) {
        return setView({ name: 'signIn', email, notice: { tone: 'error', text: signInStartMessage(error, config.lockoutMinutes) } });
      }
      await follow(email, output);
    },
    [config.lockoutMinutes, follow],
  );

  const answer = useCallback(
    async (email: string, step: Challenge['step'], challengeResponse: string, abandoned = false) => {
      let output: SignInOutput;
      try {
        output = await confirmSignIn({ challengeResponse });
      } catch (error) {
        return setView({ name: 'signIn', email, notice: { tone: 'error', text: answerMessage(error, config.lockoutMinutes) } });
      }
      await follow(email, output, step, abandoned);
    },
    [config.lockoutMinutes, follow],
  );

  const account = useMemo(
    () =>
      config.accountApiUrl === undefined
        ? undefined
        : { client: accountClient({ baseUrl: config.accountApiUrl, accessToken }), freshSignInMinutes: config.freshSignInMinutes },
    [config.accountApiUrl, config.freshSignInMinutes],
  );

  /** Leaves the session behind; `email` fills the sign-in form. */
  const signOutTo = useCallback(async (notice: Notice, email?: string) => {
    await signOut();
    setView({ name: 'signIn', email, notice });
  }, []);

  switch (view.name) {
    case 'loading':
      return <Loader size="large" ariaLabel="Loading" />;
    case 'signUp':
      return <SignUpScreen onSignedUp={start} onSignIn={() => setView({ name: 'signIn' })} />;
    case 'signIn':
      return (
        <SignInScreen
          key={view.notice?.text ?? 'sign-in'}
          initialEmail={view.email}
          notice={view.notice}
          onSubmit={start}
          onSignUp={() => setView({ name: 'signUp' })}
        />
      );
    case 'emailCode':
      return (
        <EmailCodeScreen
          email={view.email}
          challenge={view.challenge}
          previousRefused={view.previousRefused}
          round={view.round}
          mailboxUrl={config.mailboxUrl}
          onAnswer={(code) => answer(view.email, 'EMAIL_CODE', code)}
        />
      );
    case 'enroll':
      return (
        <EnrollScreen
          key={view.challenge.uploadUrl + JSON.stringify(view.challenge.uploadFields)}
          challenge={view.challenge}
          previousRefused={view.previousRefused}
          onUploaded={() => answer(view.email, 'ENROLL_ID_PHOTO', ENROLL_ANSWER)}
        />
      );
    case 'liveness':
      return (
        <Suspense fallback={<Loader size="large" ariaLabel="Loading the video check" />}>
          <LivenessScreen
            key={view.challenge.sessionId}
            challenge={view.challenge}
            previousRefused={view.previousRefused}
            config={{
              ...(config.liveness.endpointOverride ? { endpointOverride: config.liveness.endpointOverride } : {}),
              faceModelUrl: absoluteUrl(config.liveness.faceModelUrl),
              binaryPath: absoluteUrl(config.liveness.binaryPath),
            }}
            credentialProvider={livenessCredentialProvider(config)}
            onAnswer={(sessionId, abandoned) => answer(view.email, 'FACE_LIVENESS', sessionId, abandoned)}
          />
        </Suspense>
      );
    case 'signedIn': {
      const { claims } = view;
      return (
        <SignedInScreen
          claims={claims}
          account={
            account && {
              freshSignInMinutes: account.freshSignInMinutes,
              onReplaceIdPhoto: () => setView({ name: 'replaceIdPhoto', claims }),
              onDeleteAccount: () => setView({ name: 'deleteAccount', claims }),
            }
          }
          onSignOut={() => signOutTo({ tone: 'info', text: 'You are signed out.' })}
        />
      );
    }
    case 'replaceIdPhoto':
    case 'deleteAccount': {
      // Only the signed-in screen opens these, and it offers them only with the account API configured.
      if (!account) return null;
      const { claims } = view;
      const accountScreen = {
        account: account.client,
        freshSignInMinutes: account.freshSignInMinutes,
        onBack: () => setView({ name: 'signedIn', claims }),
        onSignInAgain: () => signOutTo({ tone: 'info', text: 'You are signed out. Sign in again with your face.' }, claims.email),
        onSignedOut: () => signOutTo({ tone: 'info', text: 'Your session has ended. Sign in again.' }, claims.email),
      };
      if (view.name === 'replaceIdPhoto') return <ReplaceIdPhotoScreen {...accountScreen} />;
      return (
        <DeleteAccountScreen
          {...accountScreen}
          email={claims.email}
          onDeleted={async (deleted) => {
            // The user no longer exists: only the tokens this browser keeps are left to forget.
            await signOut();
            setView({ name: 'accountDeleted', deleted });
          }}
        />
      );
    }
    case 'accountDeleted':
      return (
        <AccountDeletedScreen
          deleted={view.deleted}
          onSignUp={() => setView({ name: 'signUp' })}
          onSignIn={() => setView({ name: 'signIn' })}
        />
      );
  }
}

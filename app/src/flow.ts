/**
 * Reads Amplify's sign-in step into what the app shows next. Cognito's custom auth can only pass or fail an
 * answer; when the same step comes back, the previous answer was refused and a fresh challenge was issued.
 */
import type { SignInOutput } from 'aws-amplify/auth';
import { parseChallenge, type Challenge } from './challenge';

export type FlowStep =
  | { kind: 'signedIn' }
  | { kind: 'challenge'; challenge: Challenge; previousRefused: boolean }
  | { kind: 'unsupported'; signInStep: string };

/** `answeredStep` is the step just answered, or undefined when sign-in has just started. */
export function nextFlowStep(output: SignInOutput, answeredStep?: Challenge['step']): FlowStep {
  const { nextStep } = output;
  switch (nextStep.signInStep) {
    case 'DONE':
      return { kind: 'signedIn' };
    case 'CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE': {
      const challenge = parseChallenge(nextStep.additionalInfo);
      return { kind: 'challenge', challenge, previousRefused: challenge.step === answeredStep };
    }
    default:
      // The app client allows only custom auth and PreSignUp confirms every sign-up, so any other step
      // (CONFIRM_SIGN_UP included) means a misconfigured pool.
      return { kind: 'unsupported', signInStep: nextStep.signInStep };
  }
}

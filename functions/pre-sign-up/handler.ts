/**
 * Pre sign-up: confirms a new user at once, without a confirmation code. The email is proven by the sign-in
 * flow's EMAIL_CODE step instead, in the same auth session as the ID-photo upload, so a new user meets exactly one
 * code and an account made with someone else's address is useless to its maker: they cannot pass that step.
 * The email stays unverified (email_verified false) in Cognito until that step passes, when verify marks it verified;
 * the trigger refuses sign-ups through an external identity provider, which this pool does not offer.
 */
import type { PreSignUpTriggerEvent } from 'aws-lambda';
import { Refusal, withErrorPolicy } from '../lib/trigger';

/** Pre sign-up needs no parts: it reads nothing and calls no AWS service. */
export function makeHandler() {
  async function preSignUp(event: PreSignUpTriggerEvent): Promise<PreSignUpTriggerEvent> {
    if (event.triggerSource === 'PreSignUp_ExternalProvider') throw new Refusal('sign-up through an external provider');
    if (!event.request.userAttributes.email) throw new Refusal('no email attribute');
    event.response = {
      autoConfirmUser: event.triggerSource === 'PreSignUp_SignUp',
      autoVerifyEmail: false,
      autoVerifyPhone: false,
    };
    return event;
  }

  return withErrorPolicy(preSignUp);
}

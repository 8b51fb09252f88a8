/** Amplify wiring from the runtime config. */
import { Amplify } from 'aws-amplify';
import { fetchAuthSession } from 'aws-amplify/auth';
import type { AwsCredentialProvider } from '@aws-amplify/ui-react-liveness';
import type { AppConfig } from './config';

export function configureAmplify(config: AppConfig): void {
  const userPool = {
    userPoolId: config.userPoolId,
    userPoolClientId: config.userPoolClientId,
    ...(config.userPoolEndpoint ? { userPoolEndpoint: config.userPoolEndpoint } : {}),
  };
  if (config.identityPoolId) {
    // Guest access: the liveness stream is opened before the user has tokens.
    Amplify.configure({ Auth: { Cognito: { ...userPool, identityPoolId: config.identityPoolId, allowGuestAccess: true } } });
  } else {
    Amplify.configure({ Auth: { Cognito: userPool } });
  }
}

/**
 * With no identity pool (the local stack) the liveness endpoint accepts any signature, so the stream is
 * signed with fixed development keys. With an identity pool, undefined lets the component fetch the
 * guest credentials through Amplify.
 */
export function livenessCredentialProvider(config: AppConfig): AwsCredentialProvider | undefined {
  if (config.identityPoolId) return undefined;
  return async () => ({ accessKeyId: 'LOCALDEVELOPMENT', secretAccessKey: 'local-development-not-a-secret' });
}

/** Resolves config URLs that may be relative to the page (the component wants absolute ones). */
export function absoluteUrl(url: string): string {
  return new URL(url, window.location.href).href;
}

/** The access token for the account API; Amplify refreshes it first when it has expired. */
export async function accessToken(): Promise<string | undefined> {
  const { tokens } = await fetchAuthSession();
  return tokens?.accessToken.toString();
}

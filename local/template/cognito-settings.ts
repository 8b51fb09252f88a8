/**
 * The Cognito emulator's user pool settings, read from template.yaml's UserPool and UserPoolClient: names,
 * AuthSessionValidity, token validities in their TokenValidityUnits (Cognito's defaults when absent),
 * PreventUserExistenceErrors and ExplicitAuthFlows. Ids are derived from the stack name, so they stay the same
 * across restarts (users and refresh tokens persist) and look like Cognito's.
 */
import { createHash } from 'node:crypto';
import type { UserPoolSettings } from '../cognito/index';
import type { LocalDeployment } from './deployment';
import type { TemplateValue } from './load-template';

const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

type Properties = Record<string, TemplateValue>;

function validitySeconds(client: Properties, property: string, unitKey: string, defaultValue: number, defaultUnit: string): number {
  const units = (client.TokenValidityUnits ?? {}) as Properties;
  const unit = String(units[unitKey] ?? defaultUnit);
  const seconds = UNIT_SECONDS[unit];
  if (seconds === undefined) throw new Error(`UserPoolClient.TokenValidityUnits.${unitKey} is '${unit}', not seconds|minutes|hours|days`);
  return Number(client[property] ?? defaultValue) * seconds;
}

/** An id that looks like an AWS-generated one, the same for the same seed on every start. */
export function derivedId(seed: string, alphabet: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  return Array.from(digest.subarray(0, length), (byte) => alphabet[byte % alphabet.length]).join('');
}

export interface LocalUserPool {
  logicalId: string;
  clientLogicalId: string;
  settings: UserPoolSettings;
}

export function localUserPool(deployment: LocalDeployment, allowedOrigins: string[]): LocalUserPool {
  const { userPool, userPoolClients } = deployment.wiring;
  if (!userPool) throw new Error('template.yaml has no AWS::Cognito::UserPool');
  const clientWiring = userPoolClients.find(
    (client) => JSON.stringify(client.properties.UserPoolId) === JSON.stringify({ Ref: userPool.logicalId }),
  );
  if (!clientWiring) throw new Error(`template.yaml has no AWS::Cognito::UserPoolClient with UserPoolId: !Ref ${userPool.logicalId}`);
  const { region, stackName } = deployment.options;
  const poolIdSuffix = derivedId(`${stackName}/${userPool.logicalId}`, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 9);
  const id = `${region}_${poolIdSuffix}`;
  const clientId = derivedId(`${stackName}/${clientWiring.logicalId}`, 'abcdefghijklmnopqrstuvwxyz0123456789', 26);
  // The pool's own id is needed to resolve the client (UserPoolId: !Ref UserPool), so record it first.
  deployment.record(userPool.logicalId, id, {
    Arn: `arn:aws:cognito-idp:${region}:${deployment.options.accountId}:userpool/${id}`,
    ProviderName: `cognito-idp.${region}.amazonaws.com/${id}`,
    ProviderURL: `https://cognito-idp.${region}.amazonaws.com/${id}`,
    UserPoolId: id,
  });
  deployment.record(clientWiring.logicalId, clientId, { ClientId: clientId });
  const pool = deployment.resolve(userPool.properties) as Properties;
  const client = deployment.resolve(clientWiring.properties) as Properties;
  return {
    logicalId: userPool.logicalId,
    clientLogicalId: clientWiring.logicalId,
    settings: {
      id,
      name: String(pool.UserPoolName ?? `${stackName}-${userPool.logicalId}`),
      clientId,
      clientName: String(client.ClientName ?? clientWiring.logicalId),
      authSessionValiditySeconds: Number(client.AuthSessionValidity ?? 3) * 60,
      accessTokenValiditySeconds: validitySeconds(client, 'AccessTokenValidity', 'AccessToken', 1, 'hours'),
      idTokenValiditySeconds: validitySeconds(client, 'IdTokenValidity', 'IdToken', 1, 'hours'),
      refreshTokenValiditySeconds: validitySeconds(client, 'RefreshTokenValidity', 'RefreshToken', 30, 'days'),
      preventUserExistenceErrors: client.PreventUserExistenceErrors === 'ENABLED',
      explicitAuthFlows: Array.isArray(client.ExplicitAuthFlows) ? client.ExplicitAuthFlows.map(String) : [],
      allowedOrigins,
    },
  };
}

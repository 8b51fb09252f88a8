/**
 * The template's HTTP APIs on the local stack: each `AWS::Serverless::HttpApi` (and SAM's implicit one) gets an id
 * like API Gateway's and a listener; its routes, authorizers and CORS are resolved by the local deployment. A JWT
 * issuer `https://cognito-idp.<region>.amazonaws.com/<poolId>` naming the local user pool stands for the Cognito
 * emulator, whose tokens carry its own `iss` and whose JWKS it serves; any other issuer's keys are fetched from
 * `<issuer>/.well-known/jwks.json`.
 */
import { derivedId } from '../template/cognito-settings';
import type { LocalDeployment } from '../template/deployment';
import { TemplateResolutionError } from '../template/intrinsics';
import type { TemplateValue } from '../template/load-template';
import type { HttpApiWiring } from '../template/wiring';
import { httpApiCorsFromTemplate } from './cors';
import { startHttpApi, type HttpApiOptions, type HttpApiRoute, type JwtAuthorizer } from './index';

/** The Cognito emulator's pool, which tokens of the template's user pool come from locally. */
export interface LocalTokenIssuer {
  userPoolId: string;
  issuer: string;
  jwksUri: string;
}

export interface TemplateHttpApi {
  logicalId: string;
  apiId: string;
  endpoint: string;
  close(): Promise<void>;
}

export interface TemplateHttpApiOptions extends Pick<HttpApiOptions, 'host' | 'invoke' | 'clock'> {
  /** The first API's port; the next ones take the ports after it. 0 picks free ports. */
  port: number;
  localIssuer?: LocalTokenIssuer;
  log(line: string): void;
}

/** Where a configured issuer's tokens and keys come from locally. */
export function jwtIssuerLocation(configuredIssuer: string, region: string, local?: LocalTokenIssuer): { issuer: string; jwksUri: string } {
  const issuer = configuredIssuer.replace(/\/+$/, '');
  if (local && issuer === `https://cognito-idp.${region}.amazonaws.com/${local.userPoolId}`) {
    return { issuer: local.issuer, jwksUri: local.jwksUri };
  }
  return { issuer: configuredIssuer, jwksUri: `${issuer}/.well-known/jwks.json` };
}

function stringList(value: TemplateValue, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.some((item) => typeof item !== 'string')) throw new TemplateResolutionError(`${where} must be a string or a list of strings`);
  return list as string[];
}

function resolveRoutes(deployment: LocalDeployment, api: HttpApiWiring, local: LocalTokenIssuer | undefined): HttpApiRoute[] {
  const authorizers = new Map<string, JwtAuthorizer>();
  for (const [name, wiring] of Object.entries(api.authorizers)) {
    const where = `${api.logicalId}.Auth.Authorizers.${name}`;
    const configuredIssuer = deployment.resolve(wiring.issuer);
    if (typeof configuredIssuer !== 'string') throw new TemplateResolutionError(`${where}: the issuer must resolve to a string`);
    authorizers.set(name, {
      name,
      ...jwtIssuerLocation(configuredIssuer, deployment.options.region, local),
      audience: stringList(deployment.resolve(wiring.audience), `${where}: the audience`),
      identitySource: wiring.identitySource,
    });
  }
  return api.routes.map((route) => {
    const authorizer = route.authorizer === undefined ? undefined : authorizers.get(route.authorizer);
    return {
      routeKey: route.routeKey,
      functionLogicalId: route.functionLogicalId,
      ...(authorizer ? { authorizer } : {}),
      authorizationScopes: stringList(deployment.resolve(route.authorizationScopes), `${route.functionLogicalId}: AuthorizationScopes`),
      timeoutMs: route.timeoutMs,
    };
  });
}

export async function startTemplateHttpApis(deployment: LocalDeployment, options: TemplateHttpApiOptions): Promise<TemplateHttpApi[]> {
  const started: TemplateHttpApi[] = [];
  try {
    for (const [index, api] of deployment.wiring.httpApis.entries()) {
      const apiId = derivedId(`${deployment.options.stackName}/${api.logicalId}`, 'abcdefghijklmnopqrstuvwxyz0123456789', 10);
      // Recorded before resolving, since a value may name the API itself.
      deployment.record(api.logicalId, apiId, { ApiId: apiId });
      const server = await startHttpApi({
        host: options.host,
        port: options.port === 0 ? 0 : options.port + index,
        apiId,
        accountId: deployment.options.accountId,
        routes: resolveRoutes(deployment, api, options.localIssuer),
        ...(api.corsConfiguration !== undefined ? { cors: httpApiCorsFromTemplate(deployment.resolve(api.corsConfiguration)) } : {}),
        invoke: options.invoke,
        log: (line) => options.log(`${api.logicalId}: ${line}`),
        ...(options.clock ? { clock: options.clock } : {}),
      });
      started.push({ logicalId: api.logicalId, apiId, endpoint: server.endpoint, close: () => server.close() });
      deployment.record(api.logicalId, apiId, { ApiId: apiId, ApiEndpoint: server.endpoint });
    }
    return started;
  } catch (error) {
    await Promise.allSettled(started.map((api) => api.close()));
    throw error;
  }
}

/**
 * The template's Outputs that are an HTTP API's URL (`https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}`,
 * maybe with a path), as the local URL. Outputs that name what the local stack does not run are left out.
 */
export function httpApiOutputs(deployment: LocalDeployment, apis: TemplateHttpApi[]): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(deployment.wiring.template.Outputs ?? {})) {
    let value: TemplateValue;
    try {
      value = deployment.resolve(output.Value);
    } catch (error) {
      if (error instanceof TemplateResolutionError) continue;
      throw error;
    }
    for (const api of apis) {
      const deployed = `https://${api.apiId}.execute-api.${deployment.options.region}.amazonaws.com`;
      if (typeof value === 'string' && value.startsWith(deployed)) outputs[name] = api.endpoint + value.slice(deployed.length);
    }
  }
  return outputs;
}

/**
 * Reads what the local stack needs out of template.yaml: the functions (bundle, handler, timeout, environment with
 * Globals merged), which function is which Cognito trigger, the S3 notifications (a bucket's
 * `NotificationConfiguration.LambdaConfigurations` or a function's SAM `Events` of type S3) with their filters, the
 * tables, buckets, custom resources, user pool and app clients, and the HTTP APIs (`AWS::Serverless::HttpApi`, their
 * JWT authorizers and CORS, and the functions' SAM `Events` of type HttpApi as routes). Values stay unresolved here;
 * LocalDeployment resolves them once the local stand-ins have physical ids.
 */
import { basename } from 'node:path';
import type { CloudFormationResource, CloudFormationTemplate, TemplateValue } from './load-template';

/** The user pool triggers the local stack runs; PreSignUp is optional (without it, sign-up mails a code). */
export const COGNITO_TRIGGERS = ['PreSignUp', 'DefineAuthChallenge', 'CreateAuthChallenge', 'VerifyAuthChallengeResponse'] as const;
export type CognitoTrigger = (typeof COGNITO_TRIGGERS)[number];

type TemplateMap = Record<string, TemplateValue>;

export interface FunctionWiring {
  logicalId: string;
  /** The esbuild bundle lives at `dist/functions/<bundleFolder>/index.mjs`. */
  bundleFolder: string;
  /** The export the Handler names (`index.handler` -> `handler`). */
  handlerExport: string;
  timeoutSeconds: number;
  memorySizeMb: number;
  /** FunctionName as written (may hold intrinsics); absent means CloudFormation would generate one. */
  functionName?: TemplateValue;
  /** Globals.Function.Environment.Variables overlaid by the function's own, unresolved. */
  environment: TemplateMap;
}

export interface S3NotificationWiring {
  /**
   * The notification's configuration id in S3 events: SAM's function logical id + event name; for a bucket's own
   * LambdaConfigurations (which CloudFormation gives no Id, so S3 makes one up) `<bucket>Lambda<n>`, stable here.
   */
  configurationId: string;
  functionLogicalId: string;
  bucketLogicalId: string;
  /** e.g. `s3:ObjectCreated:*`, `s3:ObjectCreated:Post`. */
  events: string[];
  prefix: string;
  suffix: string;
}

export interface ResourceWiring {
  logicalId: string;
  type: string;
  properties: TemplateMap;
}

export interface CustomResourceWiring extends ResourceWiring {
  /** The function whose ARN is the ServiceToken. */
  serviceTokenFunction: string;
}

export interface UserPoolWiring extends ResourceWiring {
  triggers: Partial<Record<CognitoTrigger, string>>;
}

/** A JWT authorizer of an HTTP API (SAM's OAuth2Authorizer); issuer and audience unresolved. */
export interface JwtAuthorizerWiring {
  name: string;
  issuer: TemplateValue;
  audience: TemplateValue;
  /** Where the token is: `$request.header.<Name>` (SAM's default: Authorization) or `$request.querystring.<name>`. */
  identitySource: string;
  /** The authorizer's AuthorizationScopes, the default of its routes; unresolved. */
  authorizationScopes: TemplateValue;
}

export interface HttpApiRouteWiring {
  functionLogicalId: string;
  eventName: string;
  /** API Gateway's route key: `POST /account/id-photo`, `ANY /{proxy+}`, or `$default`. */
  routeKey: string;
  /** The authorizer's name; absent when the route is open (`Authorizer: NONE`, or no DefaultAuthorizer). */
  authorizer?: string;
  /** Scopes the token must hold one of (the route's AuthorizationScopes, else the authorizer's); unresolved. */
  authorizationScopes: TemplateValue;
  /** TimeoutInMillis: how long API Gateway waits for the function before it answers 503. */
  timeoutMs: number;
}

export interface HttpApiWiring {
  /** `ServerlessHttpApi` for SAM's implicit API of the function events without an ApiId. */
  logicalId: string;
  authorizers: Record<string, JwtAuthorizerWiring>;
  /** CorsConfiguration as written (Globals.HttpApi's when the API has none); absent means no CORS handling. */
  corsConfiguration?: TemplateValue;
  routes: HttpApiRouteWiring[];
}

export interface StackWiring {
  template: CloudFormationTemplate;
  functions: Record<string, FunctionWiring>;
  tables: ResourceWiring[];
  buckets: ResourceWiring[];
  customResources: CustomResourceWiring[];
  userPool?: UserPoolWiring;
  userPoolClients: ResourceWiring[];
  s3Notifications: S3NotificationWiring[];
  httpApis: HttpApiWiring[];
}

/** Lambda's defaults when neither the function nor Globals say otherwise. */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;
/** SAM's name for the API of HttpApi events without an ApiId. */
export const IMPLICIT_HTTP_API = 'ServerlessHttpApi';
/** HTTP APIs' integration timeout: the default is also the maximum. */
const MAX_INTEGRATION_TIMEOUT_MS = 30000;

export class TemplateWiringError extends Error {
  override name = 'TemplateWiringError';
}

function asMap(value: TemplateValue | undefined): TemplateMap {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** The logical id a `!Ref X` or `!GetAtt X.Arn` names, for the properties that must point into this stack. */
export function targetLogicalId(value: TemplateValue | undefined, where: string): string {
  const map = asMap(value);
  if (typeof map.Ref === 'string') return map.Ref;
  const getAtt = map['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  throw new TemplateWiringError(`${where} must be a !Ref or !GetAtt to a resource of this template, got ${JSON.stringify(value)}`);
}

function positiveNumber(value: TemplateValue | undefined, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new TemplateWiringError(`${where} must be a positive number, got ${JSON.stringify(value)}`);
  return number;
}

function functionWiring(logicalId: string, resource: CloudFormationResource, globals: TemplateMap): FunctionWiring {
  const properties = asMap(resource.Properties);
  const codeUri = properties.CodeUri ?? globals.CodeUri;
  const handler = properties.Handler ?? globals.Handler;
  if (typeof codeUri !== 'string') throw new TemplateWiringError(`${logicalId}: CodeUri must be a local folder path`);
  if (typeof handler !== 'string' || !handler.includes('.')) {
    throw new TemplateWiringError(`${logicalId}: Handler must look like <file>.<export>, got ${JSON.stringify(handler)}`);
  }
  const globalVariables = asMap(asMap(globals.Environment).Variables);
  const ownVariables = asMap(asMap(properties.Environment).Variables);
  return {
    logicalId,
    bundleFolder: basename(codeUri.replace(/\/+$/, '')),
    handlerExport: handler.slice(handler.lastIndexOf('.') + 1),
    timeoutSeconds: positiveNumber(properties.Timeout ?? globals.Timeout, DEFAULT_TIMEOUT_SECONDS, `${logicalId}.Timeout`),
    memorySizeMb: positiveNumber(properties.MemorySize ?? globals.MemorySize, DEFAULT_MEMORY_MB, `${logicalId}.MemorySize`),
    ...(properties.FunctionName !== undefined ? { functionName: properties.FunctionName } : {}),
    environment: { ...globalVariables, ...ownVariables },
  };
}

function s3Filter(rules: TemplateValue | undefined, logicalId: string): { prefix: string; suffix: string } {
  const filter = { prefix: '', suffix: '' };
  for (const rule of Array.isArray(rules) ? rules : []) {
    const { Name, Value } = asMap(rule);
    const name = typeof Name === 'string' ? Name.toLowerCase() : '';
    if ((name !== 'prefix' && name !== 'suffix') || typeof Value !== 'string') {
      throw new TemplateWiringError(
        `${logicalId}: S3 filter rules need Name prefix|suffix and a string Value, got ${JSON.stringify(rule)}`,
      );
    }
    filter[name] = Value;
  }
  return filter;
}

function s3EventNames(events: TemplateValue | undefined, where: string): string[] {
  return (Array.isArray(events) ? events : [events]).map((name) => {
    if (typeof name !== 'string' || !name.startsWith('s3:')) throw new TemplateWiringError(`${where} has ${JSON.stringify(name)}`);
    return name;
  });
}

/** A bucket's own `NotificationConfiguration.LambdaConfigurations`, as CloudFormation declares them. */
function bucketNotifications(logicalId: string, properties: TemplateMap): S3NotificationWiring[] {
  const configurations = asMap(properties.NotificationConfiguration).LambdaConfigurations;
  return (Array.isArray(configurations) ? configurations : []).map((configuration, index) => {
    const { Event, Function: target, Filter } = asMap(configuration);
    const where = `${logicalId}.NotificationConfiguration.LambdaConfigurations[${index}]`;
    return {
      configurationId: `${logicalId}Lambda${index + 1}`,
      functionLogicalId: targetLogicalId(target, `${where}.Function`),
      bucketLogicalId: logicalId,
      events: s3EventNames(Event, `${where}.Event`),
      ...s3Filter(asMap(asMap(Filter).S3Key).Rules, where),
    };
  });
}

/** A function's SAM event of type HttpApi, before its API is known to exist. */
interface HttpApiEvent {
  functionLogicalId: string;
  eventName: string;
  apiLogicalId: string;
  properties: TemplateMap;
}

function functionEvents(
  logicalId: string,
  resource: CloudFormationResource,
): {
  notifications: S3NotificationWiring[];
  triggers: Array<{ userPool: string; trigger: CognitoTrigger }>;
  httpApiEvents: HttpApiEvent[];
} {
  const notifications: S3NotificationWiring[] = [];
  const triggers: Array<{ userPool: string; trigger: CognitoTrigger }> = [];
  const httpApiEvents: HttpApiEvent[] = [];
  for (const [eventName, event] of Object.entries(asMap(asMap(resource.Properties).Events))) {
    const { Type, Properties } = asMap(event);
    const properties = asMap(Properties);
    const where = `${logicalId}.Events.${eventName}`;
    if (Type === 'S3') {
      notifications.push({
        configurationId: `${logicalId}${eventName}`,
        functionLogicalId: logicalId,
        bucketLogicalId: targetLogicalId(properties.Bucket, `${where}.Bucket`),
        events: s3EventNames(properties.Events, `${where}.Events`),
        ...s3Filter(asMap(asMap(properties.Filter).S3Key).Rules, where),
      });
    } else if (Type === 'Cognito') {
      const names = Array.isArray(properties.Trigger) ? properties.Trigger : [properties.Trigger];
      for (const name of names) {
        if (COGNITO_TRIGGERS.includes(name as CognitoTrigger)) {
          triggers.push({ userPool: targetLogicalId(properties.UserPool, `${where}.UserPool`), trigger: name as CognitoTrigger });
        }
      }
    } else if (Type === 'HttpApi') {
      const apiLogicalId = properties.ApiId === undefined ? IMPLICIT_HTTP_API : targetLogicalId(properties.ApiId, `${where}.ApiId`);
      httpApiEvents.push({ functionLogicalId: logicalId, eventName, apiLogicalId, properties });
    }
  }
  return { notifications, triggers, httpApiEvents };
}

const HTTP_API_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'ANY'];

/** SAM's Method and Path as a route key; neither of them means the `$default` route, as SAM makes it. */
function httpApiRouteKey({ Method, Path }: TemplateMap, where: string): string {
  if (Method === undefined && Path === undefined) return '$default';
  const method =
    Method === undefined || String(Method).toLowerCase() === 'x-amazon-apigateway-any-method' ? 'ANY' : String(Method).toUpperCase();
  if (!HTTP_API_METHODS.includes(method)) throw new TemplateWiringError(`${where}.Method ${JSON.stringify(Method)} is not an HTTP method`);
  if (typeof Path !== 'string' || !Path.startsWith('/')) {
    throw new TemplateWiringError(`${where}.Path must be a string that starts with /, got ${JSON.stringify(Path)}`);
  }
  const segments = Path.split('/').slice(1);
  segments.forEach((segment, index) => {
    const parameter = /^\{[\w.-]+(\+?)\}$/.exec(segment);
    if ((!parameter && /[{}]/.test(segment)) || (parameter?.[1] && index < segments.length - 1)) {
      throw new TemplateWiringError(`${where}.Path ${Path}: a segment is {name}, or {name+} as the last one`);
    }
  });
  return `${method} ${Path}`;
}

function jwtAuthorizers(logicalId: string, auth: TemplateMap): Record<string, JwtAuthorizerWiring> {
  const authorizers: Record<string, JwtAuthorizerWiring> = {};
  for (const [name, value] of Object.entries(asMap(auth.Authorizers))) {
    const authorizer = asMap(value);
    const where = `${logicalId}.Auth.Authorizers.${name}`;
    const jwt = asMap(authorizer.JwtConfiguration);
    // SAM reads issuer and audience in either case.
    const issuer = jwt.issuer ?? jwt.Issuer;
    const audience = jwt.audience ?? jwt.Audience;
    if (issuer === undefined || audience === undefined) {
      throw new TemplateWiringError(`${where}: the local stack emulates JWT authorizers only, with JwtConfiguration issuer and audience`);
    }
    const identitySource = authorizer.IdentitySource ?? '$request.header.Authorization';
    if (typeof identitySource !== 'string' || !/^\$request\.(header|querystring)\.[^.\s]+$/.test(identitySource)) {
      throw new TemplateWiringError(`${where}.IdentitySource must be $request.header.<name> or $request.querystring.<name>`);
    }
    authorizers[name] = { name, issuer, audience, identitySource, authorizationScopes: authorizer.AuthorizationScopes ?? [] };
  }
  return authorizers;
}

/** Each HttpApi resource (Globals.HttpApi beneath its Properties), and SAM's implicit one if an event needs it. */
function readHttpApis(template: CloudFormationTemplate, events: HttpApiEvent[]): HttpApiWiring[] {
  const globals = asMap(template.Globals?.HttpApi);
  const declared = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Serverless::HttpApi')
    .map(([logicalId, resource]): [string, TemplateMap] => [logicalId, asMap(resource.Properties)]);
  if (events.some((event) => event.apiLogicalId === IMPLICIT_HTTP_API) && !template.Resources[IMPLICIT_HTTP_API]) {
    declared.push([IMPLICIT_HTTP_API, {}]);
  }
  const stray = events.find((event) => !declared.some(([logicalId]) => logicalId === event.apiLogicalId));
  if (stray) {
    throw new TemplateWiringError(
      `${stray.functionLogicalId}.Events.${stray.eventName} names ApiId ${stray.apiLogicalId}, which is not an HttpApi of this template`,
    );
  }
  return declared.map(([logicalId, own]) => {
    const properties = { ...globals, ...own };
    if (properties.StageName !== undefined && properties.StageName !== '$default') {
      throw new TemplateWiringError(`${logicalId}.StageName: the local stack serves the $default stage only`);
    }
    const auth = asMap(properties.Auth);
    const authorizers = jwtAuthorizers(logicalId, auth);
    const routes = events
      .filter((event) => event.apiLogicalId === logicalId)
      .map(({ functionLogicalId, eventName, properties: event }): HttpApiRouteWiring => {
        const where = `${functionLogicalId}.Events.${eventName}`;
        if (String(event.PayloadFormatVersion ?? '2.0') !== '2.0') {
          throw new TemplateWiringError(`${where}.PayloadFormatVersion: the local stack emulates payload format 2.0 only`);
        }
        const routeAuth = asMap(event.Auth);
        const name = routeAuth.Authorizer ?? auth.DefaultAuthorizer;
        if (name !== undefined && name !== 'NONE' && !(typeof name === 'string' && authorizers[name])) {
          throw new TemplateWiringError(`${where}: authorizer ${JSON.stringify(name)} is not a JWT authorizer of ${logicalId}`);
        }
        const authorizer = name === undefined || name === 'NONE' ? undefined : authorizers[name as string];
        const timeoutMs = positiveNumber(event.TimeoutInMillis, MAX_INTEGRATION_TIMEOUT_MS, `${where}.TimeoutInMillis`);
        if (timeoutMs > MAX_INTEGRATION_TIMEOUT_MS) {
          throw new TemplateWiringError(`${where}.TimeoutInMillis must be at most ${MAX_INTEGRATION_TIMEOUT_MS}`);
        }
        return {
          functionLogicalId,
          eventName,
          routeKey: httpApiRouteKey(event, where),
          ...(authorizer ? { authorizer: authorizer.name } : {}),
          authorizationScopes: authorizer ? (routeAuth.AuthorizationScopes ?? authorizer.authorizationScopes) : [],
          timeoutMs,
        };
      });
    const seen = new Set<string>();
    for (const { routeKey } of routes) {
      if (seen.has(routeKey)) throw new TemplateWiringError(`${logicalId} has the route ${routeKey} twice`);
      seen.add(routeKey);
    }
    return {
      logicalId,
      authorizers,
      ...(properties.CorsConfiguration !== undefined ? { corsConfiguration: properties.CorsConfiguration } : {}),
      routes,
    };
  });
}

export function readStackWiring(template: CloudFormationTemplate): StackWiring {
  const globals = asMap(template.Globals?.Function);
  const wiring: StackWiring = {
    template,
    functions: {},
    tables: [],
    buckets: [],
    customResources: [],
    userPoolClients: [],
    s3Notifications: [],
    httpApis: [],
  };
  const httpApiEvents: HttpApiEvent[] = [];
  const eventTriggers: Array<{ userPool: string; trigger: CognitoTrigger; functionLogicalId: string }> = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = asMap(resource.Properties);
    const entry = { logicalId, type: resource.Type, properties };
    if (resource.Type === 'AWS::Serverless::Function') {
      wiring.functions[logicalId] = functionWiring(logicalId, resource, globals);
      const { notifications, triggers, httpApiEvents: events } = functionEvents(logicalId, resource);
      wiring.s3Notifications.push(...notifications);
      httpApiEvents.push(...events);
      eventTriggers.push(...triggers.map((trigger) => ({ ...trigger, functionLogicalId: logicalId })));
    } else if (resource.Type === 'AWS::DynamoDB::Table') wiring.tables.push(entry);
    else if (resource.Type === 'AWS::S3::Bucket') {
      wiring.buckets.push(entry);
      wiring.s3Notifications.push(...bucketNotifications(logicalId, properties));
    } else if (resource.Type === 'AWS::Cognito::UserPoolClient') wiring.userPoolClients.push(entry);
    else if (resource.Type === 'AWS::Cognito::UserPool') {
      if (wiring.userPool) throw new TemplateWiringError('the local stack emulates one user pool; the template has more');
      const triggers: Partial<Record<CognitoTrigger, string>> = {};
      for (const [trigger, target] of Object.entries(asMap(properties.LambdaConfig))) {
        if (COGNITO_TRIGGERS.includes(trigger as CognitoTrigger)) {
          triggers[trigger as CognitoTrigger] = targetLogicalId(target, `${logicalId}.LambdaConfig.${trigger}`);
        }
      }
      wiring.userPool = { ...entry, triggers };
    } else if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') {
      wiring.customResources.push({
        ...entry,
        serviceTokenFunction: targetLogicalId(properties.ServiceToken, `${logicalId}.ServiceToken`),
      });
    }
  }
  wiring.httpApis = readHttpApis(template, httpApiEvents);
  for (const { userPool, trigger, functionLogicalId } of eventTriggers) {
    if (!wiring.userPool || wiring.userPool.logicalId !== userPool) {
      throw new TemplateWiringError(
        `${functionLogicalId} is a ${trigger} trigger of ${userPool}, which is not a user pool of this template`,
      );
    }
    wiring.userPool.triggers[trigger] = functionLogicalId;
  }
  const unknownTargets = [
    ...Object.values(wiring.userPool?.triggers ?? {}),
    ...wiring.customResources.map((resource) => resource.serviceTokenFunction),
    ...wiring.s3Notifications.map((notification) => notification.functionLogicalId),
  ].filter((logicalId) => !wiring.functions[logicalId]);
  if (unknownTargets.length > 0) {
    throw new TemplateWiringError(`not functions of this template: ${unknownTargets.join(', ')}`);
  }
  for (const notification of wiring.s3Notifications) {
    if (!wiring.buckets.some((bucket) => bucket.logicalId === notification.bucketLogicalId)) {
      throw new TemplateWiringError(
        `${notification.functionLogicalId} listens to ${notification.bucketLogicalId}, which is not a bucket of this template`,
      );
    }
  }
  return wiring;
}

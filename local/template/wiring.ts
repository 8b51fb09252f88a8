/**
 * Reads what the local stack needs out of template.yaml: the functions (bundle, handler, timeout, environment with
 * Globals merged), which function is which Cognito trigger, the S3 notifications (a bucket's
 * `NotificationConfiguration.LambdaConfigurations` or a function's SAM `Events` of type S3) with their filters, the
 * tables, buckets, custom resources, user pool and app clients. Values stay unresolved here; LocalDeployment
 * resolves them once the local stand-ins have physical ids.
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

export interface StackWiring {
  template: CloudFormationTemplate;
  functions: Record<string, FunctionWiring>;
  tables: ResourceWiring[];
  buckets: ResourceWiring[];
  customResources: CustomResourceWiring[];
  userPool?: UserPoolWiring;
  userPoolClients: ResourceWiring[];
  s3Notifications: S3NotificationWiring[];
}

/** Lambda's defaults when neither the function nor Globals say otherwise. */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;

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

function functionEvents(
  logicalId: string,
  resource: CloudFormationResource,
): {
  notifications: S3NotificationWiring[];
  triggers: Array<{ userPool: string; trigger: CognitoTrigger }>;
} {
  const notifications: S3NotificationWiring[] = [];
  const triggers: Array<{ userPool: string; trigger: CognitoTrigger }> = [];
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
    }
  }
  return { notifications, triggers };
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
  };
  const eventTriggers: Array<{ userPool: string; trigger: CognitoTrigger; functionLogicalId: string }> = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = asMap(resource.Properties);
    const entry = { logicalId, type: resource.Type, properties };
    if (resource.Type === 'AWS::Serverless::Function') {
      wiring.functions[logicalId] = functionWiring(logicalId, resource, globals);
      const { notifications, triggers } = functionEvents(logicalId, resource);
      wiring.s3Notifications.push(...notifications);
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

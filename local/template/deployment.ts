/**
 * The local "deployment" of template.yaml: parameter values (defaults, then overrides), pseudo parameters, and the
 * physical ids of the local stand-ins, so that `!Ref FaceLoginTable` in a function's environment names the table
 * DynamoDB Local really has. Names follow CloudFormation: an explicit name property wins, otherwise
 * `<stack>-<LogicalId>` (lower case for buckets). Resources created by running something (custom resources, the
 * user pool) are recorded when they exist; a reference to one that does not exist yet is a precise error.
 */
import { TemplateResolutionError, resolveIntrinsics, type IntrinsicContext, type ResourceLookup } from './intrinsics';
import type { TemplateValue } from './load-template';
import type { StackWiring } from './wiring';

export interface DeploymentOptions {
  stackName: string;
  region: string;
  accountId: string;
  /** Like `sam deploy --parameter-overrides`. */
  parameterOverrides?: Record<string, string>;
}

interface CreatedResource {
  ref: string;
  attributes: Record<string, string>;
}

const NAMED_TYPES: Record<string, { property: string; lowerCase: boolean }> = {
  'AWS::Serverless::Function': { property: 'FunctionName', lowerCase: false },
  'AWS::DynamoDB::Table': { property: 'TableName', lowerCase: false },
  'AWS::S3::Bucket': { property: 'BucketName', lowerCase: true },
};

export class LocalDeployment implements ResourceLookup {
  readonly parameters: Record<string, string | string[]>;
  private readonly created = new Map<string, CreatedResource>();
  private readonly context: IntrinsicContext;

  constructor(
    readonly wiring: StackWiring,
    readonly options: DeploymentOptions,
  ) {
    this.parameters = resolveParameters(wiring, options.parameterOverrides ?? {});
    this.context = {
      parameters: this.parameters,
      pseudo: { region: options.region, accountId: options.accountId, stackName: options.stackName },
      resources: this,
      conditions: wiring.template.Conditions ?? {},
    };
  }

  /** Records a resource created by running something (a custom resource's PhysicalResourceId and Data, a user pool). */
  record(logicalId: string, ref: string, attributes: Record<string, string> = {}): void {
    this.created.set(logicalId, { ref, attributes });
  }

  resolve(value: TemplateValue): TemplateValue {
    return resolveIntrinsics(value, this.context);
  }

  ref(logicalId: string): string {
    return this.resource(logicalId).ref;
  }

  getAtt(logicalId: string, attribute: string): string {
    const value = this.resource(logicalId).attributes[attribute];
    if (value === undefined)
      throw new TemplateResolutionError(`Fn::GetAtt ${logicalId}.${attribute}: the local stack has no such attribute`);
    return value;
  }

  /** The function's environment as Lambda would see it: every value a string. */
  functionEnvironment(logicalId: string): Record<string, string> {
    const wiring = this.wiring.functions[logicalId];
    if (!wiring) throw new TemplateResolutionError(`${logicalId} is not a function of the template`);
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.resolve(wiring.environment) as Record<string, TemplateValue>)) {
      if (value === null || typeof value === 'object') {
        throw new TemplateResolutionError(`${logicalId}: environment variable ${name} resolves to ${JSON.stringify(value)}, not a string`);
      }
      environment[name] = String(value);
    }
    return environment;
  }

  private resource(logicalId: string): CreatedResource {
    const created = this.created.get(logicalId);
    if (created) return created;
    const resource = this.wiring.template.Resources[logicalId];
    if (!resource) throw new TemplateResolutionError(`${logicalId} is neither a parameter nor a resource of the template`);
    const naming = NAMED_TYPES[resource.Type];
    if (!naming) throw new TemplateResolutionError(`${logicalId} (${resource.Type}) has not been created in the local stack`);
    const explicit = resource.Properties?.[naming.property];
    const generated = `${this.options.stackName}-${logicalId}`;
    const name = explicit !== undefined ? String(this.resolve(explicit)) : naming.lowerCase ? generated.toLowerCase() : generated;
    const { region, accountId } = this.options;
    const arn = {
      'AWS::Serverless::Function': `arn:aws:lambda:${region}:${accountId}:function:${name}`,
      'AWS::DynamoDB::Table': `arn:aws:dynamodb:${region}:${accountId}:table/${name}`,
      'AWS::S3::Bucket': `arn:aws:s3:::${name}`,
    }[resource.Type] as string;
    const named = { ref: name, attributes: { Arn: arn } };
    this.created.set(logicalId, named);
    return named;
  }
}

function resolveParameters(wiring: StackWiring, overrides: Record<string, string>): Record<string, string | string[]> {
  const declared = wiring.template.Parameters ?? {};
  const unknown = Object.keys(overrides).filter((name) => !(name in declared));
  if (unknown.length > 0) throw new TemplateResolutionError(`parameter overrides not declared in the template: ${unknown.join(', ')}`);
  const values: Record<string, string | string[]> = {};
  for (const [name, declaration] of Object.entries(declared)) {
    const raw = overrides[name] ?? declaration.Default;
    if (raw === undefined || raw === null) throw new TemplateResolutionError(`parameter ${name} has no Default and no override`);
    const text = Array.isArray(raw) ? raw.join(',') : String(raw);
    const allowed = declaration.AllowedValues;
    if (Array.isArray(allowed) && !allowed.map(String).includes(text)) {
      throw new TemplateResolutionError(
        `parameter ${name} = ${JSON.stringify(text)} is not one of its AllowedValues ${JSON.stringify(allowed)}`,
      );
    }
    if (declaration.Type === 'Number') {
      const number = Number(text);
      const { MinValue, MaxValue } = declaration;
      if (text.trim() === '' || !Number.isFinite(number))
        throw new TemplateResolutionError(`parameter ${name} = ${JSON.stringify(text)} is not a Number`);
      if ((MinValue !== undefined && number < Number(MinValue)) || (MaxValue !== undefined && number > Number(MaxValue))) {
        throw new TemplateResolutionError(
          `parameter ${name} = ${text} is outside ${String(MinValue ?? '-inf')}..${String(MaxValue ?? 'inf')}`,
        );
      }
    }
    if (typeof declaration.AllowedPattern === 'string' && !new RegExp(`^(?:${declaration.AllowedPattern})$`).test(text)) {
      throw new TemplateResolutionError(
        `parameter ${name} = ${JSON.stringify(text)} does not match its AllowedPattern ${declaration.AllowedPattern}`,
      );
    }
    const isList = declaration.Type === 'CommaDelimitedList' || declaration.Type.startsWith('List<');
    values[name] = isList ? text.split(',').map((item) => item.trim()) : text;
  }
  return values;
}

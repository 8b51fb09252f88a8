/**
 * Evaluates CloudFormation intrinsic functions (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split,
 * Fn::If and the condition functions, Fn::ToJsonString, Fn::Base64) against the local stand-ins of a stack's
 * resources, so a value in template.yaml means locally what it means after `sam deploy`.
 */
import type { TemplateValue } from './load-template';

/** What a Ref or GetAtt to a resource of the stack resolves to; supplied by whoever "deployed" it locally. */
export interface ResourceLookup {
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

export interface IntrinsicContext {
  /** Parameter values; list-typed parameters (CommaDelimitedList, List<...>) hold lists, as their Ref does. */
  parameters: Record<string, string | string[]>;
  pseudo: { region: string; accountId: string; stackName: string };
  resources: ResourceLookup;
  conditions?: Record<string, TemplateValue>;
}

/** `Ref: AWS::NoValue` removes the property that holds it, as CloudFormation does. */
const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = TemplateValue | typeof NO_VALUE;

export class TemplateResolutionError extends Error {
  override name = 'TemplateResolutionError';
}

function pseudoParameter(name: string, context: IntrinsicContext): string | undefined {
  const { region, accountId, stackName } = context.pseudo;
  switch (name) {
    case 'AWS::Region':
      return region;
    case 'AWS::AccountId':
      return accountId;
    case 'AWS::StackName':
      return stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      return undefined;
  }
}

function refName(name: string, context: IntrinsicContext): string | string[] {
  const pseudo = pseudoParameter(name, context);
  if (pseudo !== undefined) return pseudo;
  if (name in context.parameters) return context.parameters[name] as string | string[];
  return context.resources.ref(name);
}

function asString(value: Resolved, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateResolutionError(`${where} needs a string, got ${JSON.stringify(value)}`);
}

function asList(value: Resolved, where: string): TemplateValue[] {
  if (Array.isArray(value)) return value;
  throw new TemplateResolutionError(`${where} needs a list, got ${JSON.stringify(value)}`);
}

function substitute(template: string, variables: Record<string, TemplateValue>, context: IntrinsicContext): string {
  // ${!Literal} is an escaped, literal ${Literal}.
  return template.replace(/\$\{([^}]+)\}/g, (_match, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
    const name = expression.trim();
    if (name in variables) return asString(variables[name] as TemplateValue, `Fn::Sub variable ${name}`);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) {
      return context.resources.getAtt(name.slice(0, dot), name.slice(dot + 1));
    }
    return asString(refName(name, context), `Fn::Sub \${${name}}`);
  });
}

function evaluateCondition(name: string, context: IntrinsicContext): boolean {
  const definition = context.conditions?.[name];
  if (definition === undefined) throw new TemplateResolutionError(`condition ${name} is not defined in Conditions`);
  const value = resolveIntrinsics(definition, context);
  if (typeof value !== 'boolean') throw new TemplateResolutionError(`condition ${name} does not evaluate to a boolean`);
  return value;
}

function resolveFunction(name: string, argument: TemplateValue, context: IntrinsicContext): Resolved {
  switch (name) {
    case 'Ref':
      if (argument === 'AWS::NoValue') return NO_VALUE;
      return refName(asString(argument, 'Ref'), context);
    case 'Condition':
      return evaluateCondition(asString(argument, 'Condition'), context);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] =
        typeof argument === 'string'
          ? [argument.slice(0, argument.indexOf('.')), argument.slice(argument.indexOf('.') + 1)]
          : asList(resolve(argument, context), 'Fn::GetAtt').map((part) => asString(part, 'Fn::GetAtt'));
      if (!logicalId || !attribute) throw new TemplateResolutionError(`Fn::GetAtt ${JSON.stringify(argument)} is malformed`);
      return context.resources.getAtt(logicalId, attribute);
    }
    case 'Fn::Sub': {
      if (typeof argument === 'string') return substitute(argument, {}, context);
      const [text, variables] = asList(argument, 'Fn::Sub');
      const resolvedVariables = resolve(variables ?? {}, context);
      if (!resolvedVariables || typeof resolvedVariables !== 'object' || Array.isArray(resolvedVariables)) {
        throw new TemplateResolutionError('Fn::Sub variables must be a map');
      }
      return substitute(asString(text ?? null, 'Fn::Sub'), resolvedVariables, context);
    }
    case 'Fn::Join': {
      const [separator, items] = asList(argument, 'Fn::Join');
      const values = asList(resolve(items ?? null, context), 'Fn::Join');
      return values.map((item) => asString(item, 'Fn::Join item')).join(asString(separator ?? null, 'Fn::Join separator'));
    }
    case 'Fn::Select': {
      const [index, items] = asList(argument, 'Fn::Select');
      const position = Number(resolve(index ?? null, context));
      const values = asList(resolve(items ?? null, context), 'Fn::Select');
      if (!Number.isInteger(position) || position < 0 || position >= values.length) {
        throw new TemplateResolutionError(`Fn::Select index ${String(index)} is outside a list of ${values.length}`);
      }
      return values[position] as TemplateValue;
    }
    case 'Fn::Split': {
      const [separator, text] = asList(argument, 'Fn::Split');
      return asString(resolve(text ?? null, context), 'Fn::Split').split(asString(separator ?? null, 'Fn::Split separator'));
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = asList(argument, 'Fn::If');
      const chosen = evaluateCondition(asString(condition ?? null, 'Fn::If'), context) ? whenTrue : whenFalse;
      return resolve(chosen ?? null, context);
    }
    case 'Fn::Equals': {
      const [left, right] = asList(argument, 'Fn::Equals').map((item) => resolve(item, context));
      return JSON.stringify(left) === JSON.stringify(right);
    }
    case 'Fn::Not':
      return !asList(argument, 'Fn::Not').map((item) => resolve(item, context))[0];
    case 'Fn::And':
      return asList(argument, 'Fn::And').every((item) => resolve(item, context) === true);
    case 'Fn::Or':
      return asList(argument, 'Fn::Or').some((item) => resolve(item, context) === true);
    case 'Fn::ToJsonString':
      return JSON.stringify(resolve(argument, context));
    case 'Fn::Base64':
      return Buffer.from(asString(resolve(argument, context), 'Fn::Base64')).toString('base64');
    default:
      throw new TemplateResolutionError(`${name} is not supported by the local stack`);
  }
}

function resolve(value: TemplateValue, context: IntrinsicContext): Resolved {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, context)).filter((item): item is TemplateValue => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'))) {
    return resolveFunction(keys[0]!, value[keys[0]!] as TemplateValue, context);
  }
  const result: Record<string, TemplateValue> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolve(item, context);
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

/** Resolves every intrinsic function inside `value`; `AWS::NoValue` becomes null at the top level. */
export function resolveIntrinsics(value: TemplateValue, context: IntrinsicContext): TemplateValue {
  const resolved = resolve(value, context);
  return resolved === NO_VALUE ? null : resolved;
}

/** The logical ids a value refers to (Ref, Fn::GetAtt, and `${Name}` / `${Name.Attr}` in Fn::Sub). */
export function referencedLogicalIds(value: TemplateValue): Set<string> {
  const found = new Set<string>();
  const visit = (item: TemplateValue): void => {
    if (Array.isArray(item)) {
      for (const inner of item) visit(inner);
      return;
    }
    if (item === null || typeof item !== 'object') return;
    for (const [key, inner] of Object.entries(item)) {
      if (key === 'Ref' && typeof inner === 'string' && !inner.startsWith('AWS::')) found.add(inner);
      else if (key === 'Fn::GetAtt') {
        const target = typeof inner === 'string' ? inner.split('.')[0] : Array.isArray(inner) ? inner[0] : undefined;
        if (typeof target === 'string') found.add(target);
      } else if (key === 'Fn::Sub') {
        const text = typeof inner === 'string' ? inner : Array.isArray(inner) ? inner[0] : undefined;
        if (typeof text === 'string') {
          for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
            const name = match[1]!.trim();
            if (!name.startsWith('AWS::')) found.add(name.split('.')[0]!);
          }
        }
        if (Array.isArray(inner)) inner.slice(1).forEach(visit);
      } else visit(inner);
    }
  };
  visit(value);
  return found;
}

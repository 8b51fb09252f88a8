/**
 * template.yaml as the template tests read it: the parsed template, its resources by logical id, their IAM
 * statements, and values resolved as CloudFormation would resolve them for one example stack.
 */
import { readFileSync } from 'node:fs';
import { resolveIntrinsics, TemplateResolutionError } from '../../local/template/intrinsics';
import { loadTemplate, type CloudFormationResource, type TemplateValue } from '../../local/template/load-template';

export const template = loadTemplate();

/** The functions docs/internals.md names, with the folder each is built from. */
export const FUNCTION_FOLDERS = {
  PreSignUpFunction: 'pre-sign-up',
  ExpireEnrollmentsFunction: 'expire-enrollments',
  DefineAuthChallengeFunction: 'define-auth-challenge',
  CreateAuthChallengeFunction: 'create-auth-challenge',
  VerifyAuthChallengeFunction: 'verify-auth-challenge',
  IndexFaceFunction: 'index-face',
  InitCollectionFunction: 'init-collection',
  AccountFunction: 'account',
  SweepDeletedUsersFunction: 'sweep-deleted-users',
} as const;
export type FunctionId = keyof typeof FUNCTION_FOLDERS;
export const FUNCTION_IDS = Object.keys(FUNCTION_FOLDERS) as FunctionId[];

/** Every AWS::Serverless::Function of template.yaml, for checks that must cover whatever functions it declares. */
export const TEMPLATE_FUNCTION_IDS = Object.entries(template.Resources)
  .filter(([, { Type }]) => Type === 'AWS::Serverless::Function')
  .map(([logicalId]) => logicalId);

export type TemplateMap = { [key: string]: TemplateValue };

export function resource(logicalId: string): CloudFormationResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`template.yaml has no resource ${logicalId}`);
  return found;
}

export function propertiesOf(logicalId: string): TemplateMap {
  return resource(logicalId).Properties ?? {};
}

export function asMap(value: TemplateValue | undefined): TemplateMap {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  throw new Error(`expected a map, got ${JSON.stringify(value)}`);
}

export function asList(value: TemplateValue | undefined): TemplateValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export const globalFunction = asMap(template.Globals?.Function);
export const globalVariables = asMap(asMap(globalFunction.Environment).Variables);

/** A function property as SAM sees it: the function's own value, else the one from Globals. */
export function functionSetting(id: string, name: string): TemplateValue | undefined {
  return propertiesOf(id)[name] ?? globalFunction[name];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: TemplateValue;
  NotAction?: TemplateValue;
  Resource?: TemplateValue;
  Principal?: TemplateValue;
  Condition?: TemplateValue;
}

function statementsOfDocument(document: TemplateValue | undefined): PolicyStatement[] {
  return asList(asMap(document).Statement) as unknown as PolicyStatement[];
}

/** The statements of a function's inline policies (SAM `Policies`) or of a role's `Policies`, and no others. */
function ownStatementsOf(logicalId: string): PolicyStatement[] {
  const { Type } = resource(logicalId);
  const policies = asList(propertiesOf(logicalId).Policies);
  if (Type === 'AWS::Serverless::Function') {
    return policies.flatMap((policy) => {
      if (typeof policy === 'string') throw new Error(`${logicalId} attaches the managed policy ${policy}; use inline statements`);
      return statementsOfDocument(policy);
    });
  }
  if (Type === 'AWS::IAM::Role') return policies.flatMap((policy) => statementsOfDocument(asMap(policy).PolicyDocument));
  throw new Error(`${logicalId} (${Type}) has no IAM policies`);
}

/** Every statement that applies to a function or a role: its own, and those of standalone policies on its role. */
export function statementsOf(logicalId: string): PolicyStatement[] {
  const roleId = resource(logicalId).Type === 'AWS::Serverless::Function' ? `${logicalId}Role` : logicalId;
  return [...ownStatementsOf(logicalId), ...attachedToRole(roleId)];
}

/**
 * The statements of standalone policies attached to a role: SAM names a function's role `<function>Role`, and a
 * policy naming a resource that depends on the function (the user pool, for a trigger) must stand outside it.
 */
function attachedToRole(roleId: string): PolicyStatement[] {
  return Object.values(template.Resources)
    .filter(
      ({ Type, Properties }) => Type === 'AWS::IAM::Policy' && asList(asMap(Properties).Roles).some((role) => asMap(role).Ref === roleId),
    )
    .flatMap(({ Properties }) => statementsOfDocument(asMap(Properties).PolicyDocument));
}

/** Every identity policy statement in the template: functions, roles, and standalone policies. */
export function allIdentityStatements(): Array<{ owner: string; statement: PolicyStatement }> {
  return Object.entries(template.Resources).flatMap(([logicalId, { Type, Properties }]) => {
    const owned = (statements: PolicyStatement[]) => statements.map((statement) => ({ owner: logicalId, statement }));
    if (Type === 'AWS::Serverless::Function' || Type === 'AWS::IAM::Role') return owned(ownStatementsOf(logicalId));
    if (Type === 'AWS::IAM::Policy' || Type === 'AWS::IAM::ManagedPolicy')
      return owned(statementsOfDocument(asMap(Properties).PolicyDocument));
    return [];
  });
}

export function actionsOf(statement: PolicyStatement): string[] {
  return asList(statement.Action).map(String);
}

export function allowedActions(logicalId: string): string[] {
  return statementsOf(logicalId)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap(actionsOf);
}

/** The example stack every resolved value belongs to. */
export const EXAMPLE_STACK = { region: 'eu-west-1', accountId: '123456789012', stackName: 'face-login-test' } as const;

function parameterDefaults(): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([name, { Type, Default }]) => {
      const value = String(Default);
      return [name, Type === 'CommaDelimitedList' ? value.split(',') : value];
    }),
  );
}

/** What a deployed stack's resources resolve to; only the ones the tests resolve values through. */
const TABLE_NAME = 'face-login-test-FaceLoginTable-1A2B3C4D5E6F';
const USER_POOL_ID = 'eu-west-1_Ab12Cd34E';

function bucketName(): string {
  return String(resolved(propertiesOf('FaceBucket').BucketName));
}

function ref(logicalId: string): string {
  if (logicalId === 'FaceLoginTable') return TABLE_NAME;
  if (logicalId === 'FaceBucket') return bucketName();
  if (logicalId === 'UserPool') return USER_POOL_ID;
  throw new TemplateResolutionError(`the template tests do not resolve !Ref ${logicalId}`);
}

function getAtt(logicalId: string, attribute: string): string {
  const { region, accountId } = EXAMPLE_STACK;
  if (logicalId === 'FaceLoginTable' && attribute === 'Arn') return `arn:aws:dynamodb:${region}:${accountId}:table/${TABLE_NAME}`;
  if (logicalId === 'FaceBucket' && attribute === 'Arn') return `arn:aws:s3:::${bucketName()}`;
  if (logicalId === 'UserPool' && attribute === 'Arn') return `arn:aws:cognito-idp:${region}:${accountId}:userpool/${USER_POOL_ID}`;
  throw new TemplateResolutionError(`the template tests do not resolve !GetAtt ${logicalId}.${attribute}`);
}

/** `value` as CloudFormation resolves it for the example stack with every parameter at its default. */
export function resolved(value: TemplateValue | undefined, parameters: Record<string, string | string[]> = {}): TemplateValue {
  if (value === undefined) throw new Error('nothing to resolve');
  return resolveIntrinsics(value, {
    parameters: { ...parameterDefaults(), ...parameters },
    pseudo: EXAMPLE_STACK,
    resources: { ref, getAtt },
    conditions: template.Conditions ?? {},
  });
}

/** The functions' environment as deployed with the given parameter values (defaults otherwise). */
export function deployedEnvironment(parameters: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(globalVariables).map(([name, value]) => [name, String(resolved(value, parameters))]));
}

/** One function's environment as SAM deploys it: Globals' variables overlaid by the function's own. */
export function functionEnvironment(logicalId: string): Record<string, string> {
  const own = asMap(asMap(propertiesOf(logicalId).Environment ?? {}).Variables ?? {});
  return { ...deployedEnvironment(), ...Object.fromEntries(Object.entries(own).map(([name, value]) => [name, String(resolved(value))])) };
}

/** The `NAME` variables listed in the first column of docs/internals.md's "Function environment" table. */
export function documentedEnvironmentVariables(): string[] {
  const internals = readFileSync(new URL('../../docs/internals.md', import.meta.url), 'utf8');
  const section = internals.split(/^## /m).find((part) => part.startsWith('Function environment'));
  if (!section) throw new Error('docs/internals.md has no "Function environment" section');
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Z0-9_]+)`/g)].map(([, name]) => name!));
}

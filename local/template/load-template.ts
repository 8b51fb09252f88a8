/**
 * Reads template.yaml with CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...) turned into their
 * long forms, so tests and the local stack see the same structure CloudFormation does.
 */
import { readFileSync } from 'node:fs';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';

export type TemplateValue = string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };

export interface CloudFormationResource {
  Type: string;
  Properties?: Record<string, TemplateValue>;
  Metadata?: Record<string, TemplateValue>;
  Condition?: string;
  DependsOn?: string | string[];
  /** A string, or with AWS::LanguageExtensions an intrinsic that resolves to one. */
  DeletionPolicy?: TemplateValue;
  UpdateReplacePolicy?: TemplateValue;
}

export interface CloudFormationTemplate {
  AWSTemplateFormatVersion?: string;
  Transform?: string | string[];
  Description?: string;
  Parameters?: Record<string, { Type: string; Default?: TemplateValue; [key: string]: TemplateValue | undefined }>;
  Conditions?: Record<string, TemplateValue>;
  Globals?: Record<string, Record<string, TemplateValue>>;
  Resources: Record<string, CloudFormationResource>;
  Outputs?: Record<string, { Value: TemplateValue; Description?: string; Export?: TemplateValue }>;
}

const INTRINSICS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'ToJsonString',
  'Length',
] as const;

function longName(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

function tagsFor(name: string): [ScalarTag, CollectionTag, CollectionTag] {
  const key = longName(name);
  // `!GetAtt A.B` is shorthand for `{"Fn::GetAtt": ["A", "B"]}`; every other scalar form keeps its string.
  const fromScalar = (value: string) =>
    name === 'GetAtt' ? { [key]: [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)] } : { [key]: value };
  return [
    { tag: `!${name}`, resolve: (value: string) => fromScalar(value) },
    { tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [key]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map', resolve: (map) => ({ [key]: map.toJSON() }) },
  ];
}

const CLOUDFORMATION_TAGS = ['Ref', 'Condition', ...INTRINSICS].flatMap(tagsFor);

export function parseTemplate(text: string): CloudFormationTemplate {
  const template = parse(text, { customTags: CLOUDFORMATION_TAGS }) as CloudFormationTemplate;
  if (!template || typeof template !== 'object' || !template.Resources) {
    throw new Error('template.yaml has no Resources section');
  }
  return template;
}

export function loadTemplate(path = new URL('../../template.yaml', import.meta.url)): CloudFormationTemplate {
  return parseTemplate(readFileSync(path, 'utf8'));
}

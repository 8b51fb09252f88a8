import Ajv from 'ajv-draft-04';
import { readFileSync } from 'node:fs';
import { isAlias, parseDocument, visit } from 'yaml';
import { parseTemplate } from '../../local/template/load-template';
import { template } from './stack';

const text = readFileSync(new URL('../../template.yaml', import.meta.url), 'utf8');
const samSchema = JSON.parse(readFileSync(new URL('./sam.schema.json', import.meta.url), 'utf8'));
const validateSam = new Ajv({ strict: false, allErrors: true }).compile(samSchema);

describe('template.yaml as a file', () => {
  test('is a SAM template (the serverless transform, after the language extensions) and nothing else', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(template.Transform).toEqual(['AWS::LanguageExtensions', 'AWS::Serverless-2016-10-31']);
  });

  test("validates against SAM's schema for its serverless resources and Globals", () => {
    const valid = validateSam(template);
    expect(validateSam.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test("SAM's schema refuses a function property SAM does not know", () => {
    const broken = parseTemplate(text);
    broken.Resources.DefineAuthChallengeFunction!.Properties!.Runtimes = 'nodejs22.x';
    expect(validateSam(broken)).toBe(false);
  });

  test('contains no tab characters, which YAML forbids for indentation', () => {
    expect(text.includes('\t')).toBe(false);
  });

  test('uses no YAML anchors or aliases, which CloudFormation lacks and older SAM CLIs mutate through', () => {
    const shared: string[] = [];
    visit(parseDocument(text), (_key, node) => {
      if (isAlias(node)) shared.push(`*${node.source}`);
      else if (node && typeof node === 'object' && 'anchor' in node && node.anchor) shared.push(`&${String(node.anchor)}`);
    });
    expect(shared).toEqual([]);
  });

  test('has no YAML errors such as duplicate keys', () => {
    const { errors } = parseDocument(text);
    expect(errors.map((error) => error.message)).toEqual([]);
  });
});

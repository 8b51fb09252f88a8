import { readFileSync } from 'node:fs';
import { samconfigTable } from './samconfig';
import { globalFunction, propertiesOf, template, TEMPLATE_FUNCTION_IDS } from './stack';

/** `Name="value" Name2="value2"`, the form of SAM's parameter_overrides. */
function overrides(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => [name!, value!]));
}

describe('samconfig.toml', () => {
  const deploy = samconfigTable('default.deploy.parameters');

  test("builds each function in its own folder, where esbuild is found in the project's node_modules", () => {
    expect(samconfigTable('default.build.parameters').build_in_source).toBe(true);
  });

  test("never reuses a cached build: SAM's cache hashes only a function's folder, and the functions import functions/lib/", () => {
    const importingSharedCode = TEMPLATE_FUNCTION_IDS.filter((id) => {
      const codeUri = String(propertiesOf(id).CodeUri ?? globalFunction.CodeUri);
      return /from '\.\.\/lib\//.test(readFileSync(new URL(`../../${codeUri}handler.ts`, import.meta.url), 'utf8'));
    });
    expect(importingSharedCode.length).toBeGreaterThan(0);
    expect(samconfigTable('default.build.parameters').cached).not.toBe(true);
  });

  test('names the stack', () => {
    expect(samconfigTable('default.global.parameters').stack_name).toBe('cognito-face-login');
  });

  test('deploys with a SAM-managed artifact bucket and a change set to confirm', () => {
    expect(deploy).toMatchObject({ resolve_s3: true, confirm_changeset: true });
    expect(deploy.region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
  });

  test('acknowledges the IAM roles the stack creates, and the macro expansion AWS::LanguageExtensions needs', () => {
    expect(String(deploy.capabilities).split(' ').sort()).toEqual(['CAPABILITY_AUTO_EXPAND', 'CAPABILITY_IAM']);
    expect(template.Transform).toContain('AWS::LanguageExtensions');
  });

  test('overrides only parameters the template declares, with values they allow', () => {
    const examples = overrides(String(deploy.parameter_overrides));
    expect(Object.keys(examples).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(examples)) {
      const parameter = template.Parameters?.[name];
      expect(parameter).toBeDefined();
      if (parameter!.Type === 'Number') {
        expect(Number(value)).toBeGreaterThanOrEqual(Number(parameter!.MinValue));
        expect(Number(value)).toBeLessThanOrEqual(Number(parameter!.MaxValue));
      }
      if (parameter!.AllowedValues) expect(parameter!.AllowedValues).toContain(value);
    }
  });
});

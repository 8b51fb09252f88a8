import { readFileSync } from 'node:fs';
import { template } from './stack';

/** The `key = value` pairs of one `[table]` of samconfig.toml (strings, booleans and numbers: all it uses). */
function samconfigTable(name: string): Record<string, string | boolean | number> {
  const text = readFileSync(new URL('../../samconfig.toml', import.meta.url), 'utf8');
  const [, body = ''] = text.split(`[${name}]\n`);
  const lines = body.split(/\n(?=\[)/)[0]!.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
  return Object.fromEntries(
    lines.map((line) => {
      const [, key, value] = /^(\w+)\s*=\s*(.+)$/.exec(line) ?? [];
      if (!key || value === undefined) throw new Error(`samconfig.toml [${name}]: cannot read "${line}"`);
      return [key, value.startsWith('"') ? (JSON.parse(value) as string) : value === 'true' || value === 'false' ? value === 'true' : Number(value)];
    }),
  );
}

/** `Name="value" Name2="value2"`, the form of SAM's parameter_overrides. */
function overrides(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map(([, name, value]) => [name!, value!]));
}

describe('samconfig.toml', () => {
  const deploy = samconfigTable('default.deploy.parameters');

  test('names the stack', () => {
    expect(samconfigTable('default.global.parameters').stack_name).toBe('cognito-face-login');
  });

  test('deploys with CAPABILITY_IAM, a SAM-managed artifact bucket and a change set to confirm', () => {
    expect(deploy).toMatchObject({ capabilities: 'CAPABILITY_IAM', resolve_s3: true, confirm_changeset: true });
    expect(deploy.region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
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

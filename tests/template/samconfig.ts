/** samconfig.toml as the template tests read it. */
import { readFileSync } from 'node:fs';

export type SamconfigValue = string | boolean | number;

/** The `key = value` pairs of one `[table]` of samconfig.toml (strings, booleans and numbers: all it uses). */
export function samconfigTable(name: string): Record<string, SamconfigValue> {
  const text = readFileSync(new URL('../../samconfig.toml', import.meta.url), 'utf8');
  const [, body = ''] = text.split(`[${name}]\n`);
  const lines = body
    .split(/\n(?=\[)/)[0]!
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
  return Object.fromEntries(
    lines.map((line) => {
      const [, key, value] = /^(\w+)\s*=\s*(.+)$/.exec(line) ?? [];
      if (!key || value === undefined) throw new Error(`samconfig.toml [${name}]: cannot read "${line}"`);
      return [
        key,
        value.startsWith('"') ? (JSON.parse(value) as string) : value === 'true' || value === 'false' ? value === 'true' : Number(value),
      ];
    }),
  );
}

/**
 * The Node versions the project runs on: package.json `engines` must be true, i.e. the lowest version that every
 * locked package accepts (a package's `engines.node` is a semver range; the ones in the lock are unions of lower
 * bounds such as `>=20.9.0`, `^18.0.0`, `6.*` or `>=6 <7`, which is all this reads).
 */
import { readFileSync } from 'node:fs';
import { functionSetting, TEMPLATE_FUNCTION_IDS } from './stack';

type Version = [number, number, number];

interface LockedPackage {
  engines?: { node?: string };
  optional?: boolean;
  os?: string[];
  cpu?: string[];
}

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
const packageJson = read('package.json') as { engines: { node: string } };
const lock = read('package-lock.json') as { packages: Record<string, LockedPackage> };

function version(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^[v=]/, '')
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
}

const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The lowest version a range accepts. */
function lowestAccepted(range: string): Version {
  const alternatives = range.split('||').map((alternative) => {
    const [lower = ''] = alternative
      .trim()
      .replace(/([<>=^~]+)\s+/g, '$1')
      .split(/\s+/);
    if (lower === '*' || lower === '') return version('0');
    const match = /^(>=|\^|~|=)?(\d+(\.(\d+|\*|x))*)$/.exec(lower);
    if (!match) throw new Error(`cannot read the engines range "${range}"`);
    return version(match[2]!.replace(/[*x]/g, '0'));
  });
  return alternatives.sort(compare)[0]!;
}

/** Packages npm installs here: every non-optional one, and optional ones built for this machine. */
function installedHere(entry: LockedPackage): boolean {
  if (!entry.optional) return true;
  const fits = (list: string[] | undefined, value: string) => !list || list.includes(value);
  return fits(entry.os, process.platform) && fits(entry.cpu, process.arch);
}

describe('the Node version', () => {
  test('package.json engines asks for exactly the lowest Node that every locked package supports', () => {
    const lowest = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.engines?.node && installedHere(entry))
      .map(([, entry]) => lowestAccepted(entry.engines!.node!))
      .sort(compare)
      .at(-1)!;
    expect(packageJson.engines.node).toBe(`>=${lowest.join('.')}`);
  });

  test('the Node running the tests is one engines allows', () => {
    expect(compare(version(process.versions.node), lowestAccepted(packageJson.engines.node))).toBeGreaterThanOrEqual(0);
  });

  test.each(TEMPLATE_FUNCTION_IDS)('%s runs on a Lambda Node.js runtime that engines allows', (id) => {
    const [, major] = /^nodejs(\d+)\.x$/.exec(String(functionSetting(id, 'Runtime'))) ?? [];
    expect(Number(major)).toBeGreaterThanOrEqual(lowestAccepted(packageJson.engines.node)[0]);
  });
});

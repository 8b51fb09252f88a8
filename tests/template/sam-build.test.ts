/**
 * `sam build` runs esbuild with a command line that aws-lambda-builders makes from each function's
 * Metadata.BuildProperties, in the function's CodeUri folder. These tests make the same command line, run it
 * with the project's esbuild, and load the result the way Lambda does: as an ES module exporting the handler.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { asMap, deployedEnvironment, EXAMPLE_STACK, FUNCTION_IDS, functionSetting, resource } from './stack';

const run = promisify(execFile);
const ESBUILD = fileURLToPath(new URL('../../node_modules/.bin/esbuild', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** aws-lambda-builders' esbuild flags by kind (nodejs_npm_esbuild/esbuild.py); properties arrive in snake_case. */
const BOOLEAN_FLAGS = ['minify', 'sourcemap'];
const SINGLE_VALUE_FLAGS = ['target', 'format', 'main_fields', 'sources_content'];
const MULTI_VALUE_FLAGS = ['external', 'loader', 'out_extension', 'banner'];

const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const kebabCase = (name: string) => name.replaceAll('_', '-');

function samEsbuildArguments(buildProperties: Record<string, unknown>, outdir: string): string[] {
  const config = Object.fromEntries(Object.entries(buildProperties).map(([name, value]) => [snakeCase(name), value]));
  const entryPoints = config.entry_points;
  if (!Array.isArray(entryPoints) || entryPoints.length === 0) throw new Error('BuildProperties.EntryPoints must be a non-empty list');
  const args = [...entryPoints.map(String), '--bundle', '--platform=node', `--outdir=${outdir}`];
  if (!('target' in config)) args.push('--target=es2020');
  if (!('format' in config)) args.push('--format=cjs');
  if (!('minify' in config)) args.push('--minify');
  args.push(...BOOLEAN_FLAGS.filter((name) => config[name] === true).map((name) => `--${name}`));
  args.push(...SINGLE_VALUE_FLAGS.filter((name) => name in config).map((name) => `--${kebabCase(name)}=${String(config[name])}`));
  for (const name of MULTI_VALUE_FLAGS.filter((flag) => flag in config)) {
    const values = config[name];
    if (!Array.isArray(values)) throw new Error(`BuildProperties ${name} must be a list, as SAM requires`);
    args.push(...values.map((value) => `--${kebabCase(name)}:${String(value)}`));
  }
  return args;
}

/** Imports the bundle in a fresh Node process with the deployed environment and reports its handler's type. */
async function handlerTypeOf(bundle: string): Promise<string> {
  const script = 'const module = await import(process.argv[1]); console.log(typeof module.handler);';
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(bundle).href], {
    env: { PATH: process.env.PATH, ...deployedEnvironment(), AWS_REGION: EXAMPLE_STACK.region },
  });
  return stdout.trim();
}

describe("SAM's esbuild build", () => {
  let outdirs: string[] = [];
  afterAll(() => outdirs.forEach((outdir) => rmSync(outdir, { recursive: true, force: true })));

  test.each(FUNCTION_IDS)('of %s is one .mjs ES module that Node loads and that exports handler', async (id) => {
    const outdir = mkdtempSync(join(tmpdir(), 'sam-build-'));
    outdirs = [...outdirs, outdir];
    const buildProperties = asMap(asMap(resource(id).Metadata).BuildProperties);
    const codeUri = join(PROJECT_ROOT, String(functionSetting(id, 'CodeUri')));
    await run(ESBUILD, samEsbuildArguments(buildProperties, outdir), { cwd: codeUri });
    const handlerFile = String(functionSetting(id, 'Handler')).split('.')[0];
    expect(readdirSync(outdir)).toEqual([`${handlerFile}.mjs`]);
    expect(await handlerTypeOf(join(outdir, `${handlerFile}.mjs`))).toBe('function');
  });
});

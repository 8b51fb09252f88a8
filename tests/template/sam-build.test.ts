/**
 * `sam build` of every function in template.yaml, run by AWS's own builder (aws-lambda-builders, the code SAM CLI
 * runs for `BuildMethod: esbuild`), vendored beside this repository in ../shared/tools/aws-lambda-builders. It gets
 * samconfig.toml's build settings and a PATH without the project's node_modules/.bin, as a fresh clone has after
 * `npm ci`; each bundle is then loaded the way Lambda loads it. The builder is Python, so where python3 is missing
 * this is reported as skipped.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { samconfigTable } from './samconfig';
import { asMap, functionEnvironment, EXAMPLE_STACK, globalFunction, propertiesOf, resource, TEMPLATE_FUNCTION_IDS } from './stack';

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILDER = fileURLToPath(new URL('../../../shared/tools/aws-lambda-builders/build.py', import.meta.url));
const BUILD_MINUTES = 2;

/** PATH as a fresh shell has it: without any node_modules/.bin that npm or jest put in front. */
const PATH_WITHOUT_PROJECT_BINARIES = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((folder) => !folder.split(/[\\/]/).includes('node_modules'))
  .join(delimiter);

function python3Installed(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const setting = (id: string, name: string) => propertiesOf(id)[name] ?? globalFunction[name];

/** Imports the bundle in a fresh Node process with the function's deployed environment and reports its handler's type. */
async function handlerTypeOf(id: string, bundle: string): Promise<string> {
  const script = 'const module = await import(process.argv[1]); console.log(typeof module.handler);';
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(bundle).href], {
    env: { PATH: PATH_WITHOUT_PROJECT_BINARIES, ...functionEnvironment(id), AWS_REGION: EXAMPLE_STACK.region },
  });
  return stdout.trim();
}

const python3 = python3Installed();
const build = samconfigTable('default.build.parameters');

(python3 ? describe : describe.skip)(`sam build with aws-lambda-builders${python3 ? '' : ' (skipped: python3 is not installed)'}`, () => {
  let outdirs: string[] = [];
  afterAll(() => {
    for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
  });

  test('finds the vendored builder beside the repository', () => {
    expect(existsSync(BUILDER)).toBe(true);
  });

  test('runs with a PATH on which esbuild cannot be found', () => {
    const onPath = PATH_WITHOUT_PROJECT_BINARIES.split(delimiter).filter((folder) => folder && existsSync(join(folder, 'esbuild')));
    expect(onPath).toEqual([]);
  });

  test.each(TEMPLATE_FUNCTION_IDS)(
    'builds %s as samconfig.toml configures it into one .mjs ES module that Node loads and that exports handler',
    async (id) => {
      const artifacts = mkdtempSync(join(tmpdir(), 'sam-build-'));
      outdirs = [...outdirs, artifacts];
      const architectures = setting(id, 'Architectures');
      const args = [
        BUILDER,
        '--source',
        join(PROJECT_ROOT, String(setting(id, 'CodeUri'))),
        '--artifacts',
        artifacts,
        '--properties',
        JSON.stringify(asMap(resource(id).Metadata).BuildProperties),
        '--runtime',
        String(setting(id, 'Runtime')),
        '--arch',
        String(Array.isArray(architectures) ? architectures[0] : 'x86_64'),
        ...(build.build_in_source === true ? ['--build-in-source'] : []),
      ];
      await run('python3', args, { cwd: PROJECT_ROOT, env: { ...process.env, PATH: PATH_WITHOUT_PROJECT_BINARIES } });
      const handlerFile = String(setting(id, 'Handler')).split('.')[0];
      expect(readdirSync(artifacts)).toEqual([`${handlerFile}.mjs`]);
      expect(await handlerTypeOf(id, join(artifacts, `${handlerFile}.mjs`))).toBe('function');
    },
    BUILD_MINUTES * 60_000,
  );
});

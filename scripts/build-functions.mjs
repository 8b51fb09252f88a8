/**
 * Bundles each Lambda (its entry functions/<name>/index.ts) into dist/functions/<name>/: minified ESM for Node 22 on
 * arm64: one file, `index.mjs`, exporting `handler`, with the AWS SDK included so a bundle does not depend on the
 * runtime's copy. The settings match the template's `BuildMethod: esbuild` metadata, so the local stack runs the
 * same code `sam build` deploys (tests/template checks that build too).
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'functions');
const functionNames = readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, 'index.ts')));

/** Size limit per bundle; a larger one means a dependency slipped in that the function does not need. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

for (const name of functionNames) {
  const outdir = join(root, 'dist', 'functions', name);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { index: join(functionsDir, name, 'index.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    legalComments: 'none',
    // CommonJS dependencies call require() for Node built-ins, which an ES module must provide itself.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const bytes = statSync(join(outdir, 'index.mjs')).size;
  console.log(`${name.padEnd(24)} index.mjs ${(bytes / 1024).toFixed(1).padStart(7)} KiB`);
  if (bytes > MAX_BUNDLE_BYTES) {
    console.error(`${name} is ${bytes} bytes, over the ${MAX_BUNDLE_BYTES} byte limit`);
    process.exitCode = 1;
  }
}

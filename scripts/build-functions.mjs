/**
 * Bundles each Lambda (functions/<name>/handler.ts) into dist/functions/<name>/index.mjs: minified ESM for
 * Node 22 on arm64, AWS SDK included so a bundle does not depend on the runtime's copy.
 */
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'functions');
export const functionNames = readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, 'handler.ts')));

/** Size limit per bundle; a larger one means a dependency slipped in that a trigger does not need. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

for (const name of functionNames) {
  const outfile = join(root, 'dist', 'functions', name, 'index.mjs');
  await build({
    entryPoints: [join(functionsDir, name, 'handler.ts')],
    outfile,
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
  const bytes = statSync(outfile).size;
  console.log(`${name.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB  ${outfile.slice(root.length + 1)}`);
  if (bytes > MAX_BUNDLE_BYTES) {
    console.error(`${name} is ${bytes} bytes, over the ${MAX_BUNDLE_BYTES} byte limit`);
    process.exitCode = 1;
  }
}

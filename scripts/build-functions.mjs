/**
 * Bundles each Lambda (functions/<name>/handler.ts) into dist/functions/<name>/: minified ESM for Node 22 on
 * arm64 with `index.mjs` exporting `handler`, AWS SDK included so a bundle does not depend on the runtime's copy.
 * Code splitting puts what the SDK imports lazily (credential providers other than the environment's, UA
 * parsing) into chunks beside index.mjs, so a cold start parses only what it runs.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'functions');
const functionNames = readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, 'handler.ts')));

/** Size limit per function (all its files); a larger one means a dependency slipped in that it does not need. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

function folderBytes(folder) {
  return readdirSync(folder, { recursive: true })
    .map((name) => join(folder, String(name)))
    .filter((path) => statSync(path).isFile())
    .reduce((total, path) => total + statSync(path).size, 0);
}

for (const name of functionNames) {
  const outdir = join(root, 'dist', 'functions', name);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { index: join(functionsDir, name, 'handler.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
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
  const entryBytes = statSync(join(outdir, 'index.mjs')).size;
  const totalBytes = folderBytes(outdir);
  console.log(`${name.padEnd(24)} index.mjs ${(entryBytes / 1024).toFixed(1).padStart(7)} KiB, all files ${(totalBytes / 1024).toFixed(1).padStart(7)} KiB`);
  if (totalBytes > MAX_BUNDLE_BYTES) {
    console.error(`${name} is ${totalBytes} bytes, over the ${MAX_BUNDLE_BYTES} byte limit`);
    process.exitCode = 1;
  }
}

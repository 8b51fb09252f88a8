/**
 * Builds the web app into dist/app/: the esbuild bundle (JS + CSS), index.html, and every asset the Face
 * Liveness component would otherwise fetch from a CDN (the BlazeFace model and the tfjs wasm binaries).
 * config.json is not built: the server writes it per stack.
 */
import { build } from 'esbuild';
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'app');
const require = createRequire(import.meta.url);

await rm(outDir, { recursive: true, force: true });
await mkdir(join(outDir, 'assets'), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'app/src/main.tsx' },
  outdir: join(outDir, 'assets'),
  bundle: true,
  format: 'esm',
  // The liveness screen (and TensorFlow.js) is a separate chunk, loaded when a video check starts.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'browser',
  target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  jsx: 'automatic',
  loader: { '.css': 'css' },
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});

await cp(join(root, 'app', 'index.html'), join(outDir, 'index.html'));
await cp(join(root, 'app', 'vendor', 'blazeface'), join(outDir, 'models', 'blazeface'), { recursive: true });

// The wasm binaries must match the tfjs-backend-wasm version bundled above, so they come from the same package.
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
const wasmFiles = (await readdir(wasmDir)).filter((name) => name.endsWith('.wasm'));
if (wasmFiles.length === 0) throw new Error(`no .wasm files in ${wasmDir}`);
await mkdir(join(outDir, 'tfjs-wasm'), { recursive: true });
for (const name of wasmFiles) await cp(join(wasmDir, name), join(outDir, 'tfjs-wasm', name));

const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map'))
  .map(([file, { bytes }]) => `${file} ${(bytes / 1024).toFixed(0)} KB`);
console.log(`built dist/app:\n  ${bytes.join('\n  ')}\n  dist/app/tfjs-wasm/ ${wasmFiles.join(', ')}`);

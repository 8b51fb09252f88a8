/**
 * Keeps esbuild outputs current: a build script runs when one of its outputs is missing or older than any source
 * it is built from. Used for the function bundles (`npm run build`) and the web app (`npm run build:app`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface BuildTarget {
  /** What is built, for messages. */
  name: string;
  /** The build script, relative to the project root. */
  script: string;
  /** Files the build must produce, relative to the root. */
  outputs: string[];
  /** Files or folders the outputs are built from, relative to the root (the script itself is always one). */
  sources: string[];
}

function newestSource(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** The outputs that are missing or stale; empty when everything is current. */
export function staleOutputs(root: string, target: BuildTarget): string[] {
  const sources = Math.max(...[target.script, 'package-lock.json', ...target.sources].map((source) => newestSource(join(root, source))));
  return target.outputs.filter((output) => !existsSync(join(root, output)) || statSync(join(root, output)).mtimeMs < sources);
}

export function ensureBuilt(root: string, target: BuildTarget, log: (line: string) => void): void {
  const stale = staleOutputs(root, target);
  if (stale.length === 0) return;
  log(`building ${target.name} (${stale.join(', ')} missing or older than the sources)`);
  const result = spawnSync(process.execPath, [join(root, target.script)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`building ${target.name} failed (exit ${result.status ?? result.signal}); run \`node ${target.script}\` to see why`);
  const stillStale = staleOutputs(root, target);
  if (stillStale.length > 0) throw new Error(`building ${target.name} left these outputs missing or stale: ${stillStale.join(', ')}`);
}

export function functionBundles(folders: string[]): BuildTarget {
  return {
    name: 'the functions',
    script: 'scripts/build-functions.mjs',
    outputs: folders.map((folder) => `dist/functions/${folder}/index.mjs`),
    sources: ['functions'],
  };
}

export const WEB_APP: BuildTarget = {
  name: 'the web app',
  script: 'scripts/build-app.mjs',
  outputs: ['dist/app/index.html', 'dist/app/assets/main.js'],
  sources: ['app'],
};

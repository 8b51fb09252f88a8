/**
 * Keeps the function bundles current: `npm run build` (scripts/build-functions.mjs) runs when a bundle is missing
 * or older than any source it is built from (functions/**, package-lock.json, the build script).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestSource(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** The bundle folders that are missing or stale; empty when everything is current. */
export function staleBundles(root: string, folders: string[]): string[] {
  const sources = Math.max(
    newestSource(join(root, 'functions')),
    newestSource(join(root, 'scripts', 'build-functions.mjs')),
    existsSync(join(root, 'package-lock.json')) ? newestSource(join(root, 'package-lock.json')) : 0,
  );
  return folders.filter((folder) => {
    const bundle = join(root, 'dist', 'functions', folder, 'index.mjs');
    return !existsSync(bundle) || statSync(bundle).mtimeMs < sources;
  });
}

export function ensureBundles(root: string, folders: string[], log: (line: string) => void): void {
  const stale = staleBundles(root, folders);
  if (stale.length === 0) return;
  log(`building the functions (${stale.join(', ')} missing or older than their sources)`);
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-functions.mjs')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`building the functions failed (exit ${result.status ?? result.signal}); run \`npm run build\` to see why`);
  const stillStale = staleBundles(root, folders);
  if (stillStale.length > 0) throw new Error(`the build produced no current bundle for: ${stillStale.join(', ')}`);
}

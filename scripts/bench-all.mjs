/**
 * `npm run bench`: runs every `bench:*` script in package.json, one after another, and prints each one's tables.
 * A benchmark that misses its target exits non-zero; the others still run, and the list of misses comes last.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const missed = [];
for (const name of Object.keys(scripts).filter((script) => script.startsWith('bench:'))) {
  const { status } = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (status !== 0) missed.push(`${name} (exit ${status})`);
}
if (missed.length > 0) {
  console.error(`\nBenchmarks that missed a target or failed: ${missed.join(', ')}`);
  process.exitCode = 1;
}

// Fails when a tracked source line is longer than the formatter's 140 columns: Biome's formatter cannot break long
// strings, template literals or comments, so this check keeps them within the limit too.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_LENGTH = 140;
const files = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.tsx', '*.mjs', '*.js'], { encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);

let offenders = 0;
for (const file of files) {
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (line.length <= MAX_LENGTH) return;
      offenders += 1;
      console.log(`${file}:${index + 1}: ${line.length} characters (max ${MAX_LENGTH})`);
    });
}
if (offenders > 0) process.exit(1);

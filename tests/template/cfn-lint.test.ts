/**
 * cfn-lint checks what SAM's schema does not: every plain CloudFormation property against AWS's resource
 * specification, after running the SAM transform, plus references and dependency cycles. It is a Python tool,
 * not an npm package, so this runs where it is installed and is reported as skipped elsewhere.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const TEMPLATE = fileURLToPath(new URL('../../template.yaml', import.meta.url));

function cfnLintInstalled(): boolean {
  try {
    execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The one test allowed to skip: cfn-lint is a Python tool a machine may lack on purpose, and the name says so. */
const installed = cfnLintInstalled();

describe('cfn-lint', () => {
  (installed ? test : test.skip)(
    `finds no error or warning in template.yaml${installed ? '' : ' (skipped: cfn-lint is not installed)'}`,
    async () => {
      const result = await promisify(execFile)('cfn-lint', ['--format', 'parseable', '--', TEMPLATE]).then(
        ({ stdout }) => ({ findings: stdout.trim() }),
        (error: { stdout?: string; stderr?: string }) => ({ findings: `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() }),
      );
      expect(result.findings).toBe('');
    },
  );
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../../local/template/local-environment';
import { startStackProcess, type StackProcess } from './stack-process';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

function invoke(args: string[]) {
  return run(join(ROOT, 'node_modules/.bin/tsx'), ['local/invoke.ts', ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
}

/** The JSON printed after "<LogicalId> returned:". */
function returned(stdout: string, logicalId: string): unknown {
  return JSON.parse(stdout.slice(stdout.indexOf(`${logicalId} returned:`) + `${logicalId} returned:`.length));
}

describe('npm run invoke', () => {
  it('refuses a logical id that is not a function of the template, naming the functions', async () => {
    await expect(invoke(['NoSuchFunction', 'events/define-auth-challenge.first-sign-in.json'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('NoSuchFunction is not a function in template.yaml; functions: DefineAuthChallengeFunction'),
    });
  });

  it('refuses an event file that does not exist', async () => {
    await expect(invoke(['DefineAuthChallengeFunction', 'events/missing.json'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot read the event events/missing.json'),
    });
  });

  describe('with npm start running', () => {
    let stack: StackProcess;

    beforeAll(async () => {
      stack = await startStackProcess();
    }, 120000);

    afterAll(() => stack?.dispose());

    it('runs the function against the running stack and prints its logs and response', async () => {
      const port = (url: string | undefined) => new URL(url!).port;
      const { endpoints } = stack.outputs;
      const { stdout } = await invoke([
        'DefineAuthChallengeFunction',
        'events/define-auth-challenge.first-sign-in.json',
        '--dynamodb-port',
        String(stack.dynamodbPort),
        '--s3-port',
        port(endpoints.s3),
        '--rekognition-port',
        port(endpoints.rekognition),
        '--textract-port',
        port(endpoints.textract),
      ]);
      expect(stdout).toContain('[invoke] using the running local stack');
      expect(stdout).toMatch(/\[DefineAuthChallengeFunction\] REPORT RequestId: \S+\tDuration: /);
      expect(returned(stdout, 'DefineAuthChallengeFunction')).toMatchObject({
        response: { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false },
      });
    });
  });

  it('starts the data services itself when no stack runs, and prints what CloudFormation would receive', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-invoke-'));
    try {
      const ports = [
        '--dynamodb-port',
        String(await freePort()),
        '--s3-port',
        String(await freePort()),
        '--rekognition-port',
        String(await freePort()),
        '--textract-port',
        String(await freePort()),
      ];
      const { stdout } = await invoke(['InitCollectionFunction', 'events/init-collection.create.json', '--data-dir', dataDir, ...ports]);
      expect(stdout).toContain('[invoke] no local stack is running');
      const answer = JSON.parse(
        stdout.slice(
          stdout.indexOf('CloudFormation received:') + 'CloudFormation received:'.length,
          stdout.indexOf('InitCollectionFunction returned:'),
        ),
      );
      expect(answer).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: 'cognito-face-login-faces',
        LogicalResourceId: 'FaceCollection',
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

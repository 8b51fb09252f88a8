/** `npm run local:rekognition`: starts the server alone, says how to reach it, refuses bad options, closes on Ctrl-C. */
import { ListCollectionsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { CREDENTIALS, REGION, spawnCli, temporaryDirectory } from './harness';

function runCli(args: string[]) {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = () => ({ stdout, stderr });
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout);
        if (match) resolve(match);
      };
      child.stdout.on('data', check);
      void exited.then(() => reject(new Error(`exited before printing ${pattern}: ${stdout}${stderr}`)));
    });
  return { child, exited, output, waitFor };
}

describe('the local:rekognition command', () => {
  it('prints its endpoint and the SDK variable, serves requests, and exits 0 on SIGINT', async () => {
    const dataDir = await temporaryDirectory('rekognition-cli-');
    try {
      const cli = runCli(['--port', '0', '--data-dir', dataDir.path]);
      const [, endpoint] = await cli.waitFor(/AWS_ENDPOINT_URL_REKOGNITION=(http:\/\/127\.0\.0\.1:\d+)/);
      const client = new RekognitionClient({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
      expect((await client.send(new ListCollectionsCommand({}))).CollectionIds).toEqual([]);
      client.destroy();
      cli.child.kill('SIGINT');
      expect(await cli.exited).toBe(0);
    } finally {
      await dataDir.remove();
    }
  });

  it.each([[['--port', 'eighty']], [['--port', '70000']], [['--s3-endpoint', 'not a url']], [['--colour', 'blue']]])(
    'refuses the options %j with exit code 2 and the usage line',
    async (args) => {
      const cli = runCli(args);
      expect(await cli.exited).toBe(2);
      expect(cli.output().stderr).toContain('usage: npm run local:rekognition');
    },
  );
});

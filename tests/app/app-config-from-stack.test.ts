import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appConfigFromStackOutputs } from '../../scripts/app-config-from-stack';

const outputs = [
  { OutputKey: 'Region', OutputValue: 'eu-west-1' },
  { OutputKey: 'UserPoolId', OutputValue: 'eu-west-1_AbC123' },
  { OutputKey: 'UserPoolClientId', OutputValue: '5abc' },
  { OutputKey: 'IdentityPoolId', OutputValue: 'eu-west-1:11111111-2222-3333-4444-555555555555' },
  { OutputKey: 'BucketName', OutputValue: 'face-bucket' },
];

describe('config.json from the SAM stack outputs', () => {
  it('takes the region, pool, client and identity pool, and serves the model and wasm from the app', () => {
    expect(appConfigFromStackOutputs(outputs)).toEqual({
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbC123',
      userPoolClientId: '5abc',
      identityPoolId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
      userPoolEndpoint: undefined,
      mailboxUrl: undefined,
      lockoutMinutes: 30,
      liveness: { endpointOverride: undefined, faceModelUrl: '/models/blazeface/model.json', binaryPath: '/tfjs-wasm/' },
    });
  });

  it('takes the account API URL, without a trailing slash, and its fresh sign-in window when the stack has that API', () => {
    const withAccountApi = [
      ...outputs,
      { OutputKey: 'AccountApiUrl', OutputValue: 'https://abc123.execute-api.eu-west-1.amazonaws.com/' },
      { OutputKey: 'FreshSignInMinutes', OutputValue: '5' },
    ];
    expect(appConfigFromStackOutputs(withAccountApi)).toMatchObject({
      accountApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      freshSignInMinutes: 5,
    });
  });

  it('refuses an account API URL without its fresh sign-in window', () => {
    const withoutWindow = [...outputs, { OutputKey: 'AccountApiUrl', OutputValue: 'https://abc123.execute-api.eu-west-1.amazonaws.com' }];
    expect(() => appConfigFromStackOutputs(withoutWindow)).toThrow('config.freshSignInMinutes must be a positive whole number');
  });

  it('names the outputs a stack lacks', () => {
    expect(() => appConfigFromStackOutputs(outputs.filter((o) => o.OutputKey !== 'IdentityPoolId' && o.OutputKey !== 'Region'))).toThrow(
      'the stack outputs lack Region, IdentityPoolId',
    );
  });

  it('refuses JSON that is not the Outputs array', () => {
    expect(() => appConfigFromStackOutputs({ Stacks: [] })).toThrow('expected the JSON array of Stacks[0].Outputs');
  });

  it('writes config.json from a file on the command line, and fails with a message on a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stack-outputs-'));
    await writeFile(join(dir, 'good.json'), JSON.stringify(outputs));
    await writeFile(join(dir, 'bad.json'), '[{"OutputKey":"Region"}]');
    const run = promisify(execFile);
    const { stdout } = await run('npx', ['tsx', 'scripts/app-config-from-stack.ts', join(dir, 'good.json'), '20']);
    expect(JSON.parse(stdout)).toMatchObject({ userPoolId: 'eu-west-1_AbC123', lockoutMinutes: 20 });
    await expect(run('npx', ['tsx', 'scripts/app-config-from-stack.ts', join(dir, 'bad.json')])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('every output needs OutputKey and OutputValue strings'),
    });
  });
});

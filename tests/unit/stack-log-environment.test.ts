import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type TestEvent = { name: string; test?: { errors: unknown[] }; hook?: { type: string } };
type Environment = { global: { __runningStackOutputs?: Set<() => string> }; handleTestEvent(event: TestEvent): Promise<void> };
const StackLogEnvironment = require('../support/stack-log-environment.cjs') as new (config: unknown, context: unknown) => Environment;

/** The environment Jest would make, with a stack whose output the test drives. */
function environmentWithStack(): { environment: Environment; print: (text: string) => void } {
  const environment = new StackLogEnvironment(
    { globalConfig: {}, projectConfig: { testEnvironmentOptions: {} } },
    { console, docblockPragmas: {}, testPath: 'tests/unit/stack-log-environment.test.ts' },
  );
  let printed = 'printed before the test\n';
  environment.global.__runningStackOutputs = new Set([() => printed]);
  return { environment, print: (text) => (printed += text) };
}

async function runTest(environment: Environment, during: () => void, failed: boolean): Promise<unknown[]> {
  const test = { errors: failed ? [new Error('expectation failed')] : [] };
  await environment.handleTestEvent({ name: 'test_start', test });
  during();
  await environment.handleTestEvent({ name: 'test_done', test });
  return test.errors;
}

describe('the test environment of the stack suites', () => {
  test('adds what the stack printed during a failed test to its failure, without the runtime routine', async () => {
    const { environment, print } = environmentWithStack();
    const errors = await runTest(
      environment,
      () =>
        print('[VerifyAuthChallengeFunction] START RequestId: 1 Version: $LATEST\n[VerifyAuthChallengeFunction] {"message":"checked"}\n'),
      true,
    );
    expect(errors).toHaveLength(2);
    const added = (errors[1] as Error).message;
    expect(added).toContain('{"message":"checked"}');
    expect(added).not.toContain('printed before the test');
    expect(added).not.toContain('START RequestId');
  });

  test('adds nothing to a test that passed', async () => {
    const { environment, print } = environmentWithStack();
    expect(await runTest(environment, () => print('[stack] a line\n'), false)).toEqual([]);
  });

  test('keeps only the end of a long log', async () => {
    const { environment, print } = environmentWithStack();
    const errors = await runTest(environment, () => print(`${'[stack] early line\n'.repeat(2000)}[stack] the last line\n`), true);
    const added = (errors[1] as Error).message;
    expect(added.length).toBeLessThan(12_100);
    expect(added).toContain('[stack] the last line');
  });

  test('shows what the stack printed during a failed beforeAll with the first test that hook fails, once', async () => {
    const { environment, print } = environmentWithStack();
    const hook = { type: 'beforeAll' };
    await environment.handleTestEvent({ name: 'hook_start', hook });
    print('[VerifyAuthChallengeFunction] {"message":"liveness check failed"}\n');
    await environment.handleTestEvent({ name: 'hook_failure', hook });
    const first = await runTest(environment, () => undefined, true);
    const second = await runTest(environment, () => undefined, true);
    expect(first.map((error) => (error as Error).message).join('\n')).toContain(
      'the local stack printed during the beforeAll that failed:\n[VerifyAuthChallengeFunction] {"message":"liveness check failed"}',
    );
    expect(second.map((error) => (error as Error).message).join('\n')).not.toContain('beforeAll');
  });
});

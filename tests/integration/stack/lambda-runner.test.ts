import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LambdaRunner, type LambdaFunctionSpec } from '../../../local/lambda/runner';

const PROBE = fileURLToPath(new URL('./fixtures/probe-function.mjs', import.meta.url));

function probeSpec(logicalId: string, environment: Record<string, string>, timeoutSeconds = 3): LambdaFunctionSpec {
  return {
    logicalId,
    functionName: `stack-${logicalId}`,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:stack-${logicalId}`,
    bundlePath: PROBE,
    handlerExport: 'handler',
    timeoutSeconds,
    memorySizeMb: 128,
    environment: { AWS_LAMBDA_FUNCTION_NAME: `stack-${logicalId}`, ...environment },
  };
}

describe('the Lambda runner', () => {
  let runner: LambdaRunner;
  const printed: string[] = [];

  beforeEach(() => {
    printed.length = 0;
    runner = new LambdaRunner({ log: (logicalId, line) => printed.push(`[${logicalId}] ${line}`) });
  });
  afterEach(() => runner.stop());

  it('gives every function its own process.env', async () => {
    runner.register(probeSpec('First', { PROBE_MARKER: 'first' }));
    runner.register(probeSpec('Second', { PROBE_MARKER: 'second' }));
    const [first, second] = await Promise.all([
      runner.invokeForResult<{ marker: string; functionName: string }>('First', { action: 'echo' }),
      runner.invokeForResult<{ marker: string; functionName: string }>('Second', { action: 'echo' }),
    ]);
    expect(first).toMatchObject({ marker: 'first', functionName: 'stack-First' });
    expect(second).toMatchObject({ marker: 'second', functionName: 'stack-Second' });
    expect(process.env.PROBE_MARKER).toBeUndefined();
  });

  it('passes a Lambda context whose remaining time counts down from the Timeout', async () => {
    runner.register(probeSpec('Probe', {}, 2));
    const result = await runner.invokeForResult<{ awsRequestId: string; remainingMs: number }>('Probe', { action: 'echo' });
    expect(result.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.remainingMs).toBeGreaterThan(0);
    expect(result.remainingMs).toBeLessThanOrEqual(2000);
  });

  it('keeps a container warm between invocations', async () => {
    runner.register(probeSpec('Probe', {}));
    const first = await runner.invokeForResult<{ loadedAt: number }>('Probe', { action: 'echo' });
    const second = await runner.invokeForResult<{ loadedAt: number }>('Probe', { action: 'echo' });
    expect(second.loadedAt).toBe(first.loadedAt);
  });

  it('ends an invocation that outlives its Timeout and starts a fresh container for the next', async () => {
    runner.register(probeSpec('Slow', {}, 1));
    const warm = await runner.invokeForResult<{ loadedAt: number }>('Slow', { action: 'echo' });
    const timedOut = await runner.invoke('Slow', { action: 'sleep', milliseconds: 5000 });
    expect(timedOut.error).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(timedOut.error?.errorMessage).toContain('Task timed out after 1.00 seconds');
    const next = await runner.invokeForResult<{ loadedAt: number }>('Slow', { action: 'echo' });
    expect(next.loadedAt).not.toBe(warm.loadedAt);
  });

  it('returns the error payload Lambda returns when the handler throws', async () => {
    runner.register(probeSpec('Probe', {}));
    const result = await runner.invoke('Probe', { action: 'throw', message: 'out of range' });
    expect(result.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'out of range' });
    expect(result.payload).toBeUndefined();
  });

  it('captures the invocation logs with Lambda request lines and prints them under the function name', async () => {
    runner.register(probeSpec('Probe', {}));
    const result = await runner.invoke('Probe', { action: 'echo' });
    expect(result.logs[0]).toBe(`START RequestId: ${result.requestId} Version: $LATEST`);
    expect(result.logs.some((line) => line.endsWith(`\t${result.requestId}\tINFO\tprobe invoked with echo`))).toBe(true);
    expect(result.logs.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${result.requestId}\\tDuration: `));
    expect(printed.every((line) => line.startsWith('[Probe] '))).toBe(true);
    expect(printed).toHaveLength(result.logs.length);
  });

  it('fails an invocation still running when the runner stops, instead of leaving it waiting', async () => {
    runner.register(probeSpec('Probe', {}, 10));
    const running = runner.invoke('Probe', { action: 'sleep', milliseconds: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await runner.stop();
    expect((await running).error).toMatchObject({ errorType: 'Runtime.ExitError' });
  });

  it('reports an invocation that waited for its container to import the bundle as a cold start', async () => {
    runner.register(probeSpec('Probe', {}));
    const result = await runner.invoke('Probe', { action: 'echo' });
    expect(result.initDurationMs).toBeGreaterThan(0);
    expect(result.logs.at(-1)).toMatch(/\tInit Duration: [\d.]+ ms$/);
    expect(runner.stats('Probe')).toMatchObject({ started: 1, startedAheadOfNeed: 0, coldStarts: 1, inits: 1 });
  });

  it('imports a warmed container before any invocation, so the first invocation is no cold start', async () => {
    runner.register(probeSpec('Probe', {}));
    await runner.warm('Probe');
    expect(printed).toEqual([expect.stringMatching(/^\[Probe\] INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: success$/)]);
    const result = await runner.invoke('Probe', { action: 'echo' });
    expect(result.initDurationMs).toBeUndefined();
    expect(result.logs.some((line) => line.includes('Init Duration'))).toBe(false);
    expect(runner.stats('Probe')).toMatchObject({ started: 2, startedAheadOfNeed: 2, coldStarts: 0 });
  });

  it('starts the next container when an invocation takes the last idle one, so the next invocation finds it imported', async () => {
    runner.register(probeSpec('Probe', {}));
    await runner.warm('Probe');
    const slow = runner.invokeForResult<{ loadedAt: number }>('Probe', { action: 'sleep', milliseconds: 1000 });
    expect(runner.stats('Probe')).toMatchObject({ containers: 2, startedAheadOfNeed: 2 });
    await runner.warm('Probe');
    expect(runner.stats('Probe').containers).toBe(2);
    const next = await runner.invoke('Probe', { action: 'echo' });
    expect(next.initDurationMs).toBeUndefined();
    expect((next.payload as { loadedAt: number }).loadedAt).not.toBe((await slow).loadedAt);
    expect(runner.stats('Probe').coldStarts).toBe(0);
  });

  it('never starts more containers than the maximum, ahead of need or on demand', async () => {
    await runner.stop();
    runner = new LambdaRunner({ log: () => undefined, maxContainersPerFunction: 2 });
    runner.register(probeSpec('Probe', {}));
    await runner.warm('Probe');
    const burst = Array.from({ length: 6 }, () => runner.invoke('Probe', { action: 'sleep', milliseconds: 100 }));
    expect(runner.stats('Probe').containers).toBe(2);
    await runner.warm('Probe');
    await Promise.all(burst);
    expect(runner.stats('Probe')).toMatchObject({ containers: 2, started: 2 });
  });

  (process.platform === 'linux' ? it : it.skip)("names each container's thread after its function, so its CPU shows apart", async () => {
    runner.register(probeSpec('ProbeFunction', {}));
    await runner.warm('ProbeFunction');
    const names = readdirSync('/proc/self/task').map((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());
    expect(names.filter((name) => name === 'fn:Probe')).toHaveLength(runner.stats('ProbeFunction').containers);
  });

  it('refuses to register a function whose bundle was not built', () => {
    expect(() => runner.register({ ...probeSpec('Missing', {}), bundlePath: '/nonexistent/index.mjs' })).toThrow(/npm run build/);
  });

  it('reports a bundle without the named handler export as Runtime.HandlerNotFound', async () => {
    runner.register({ ...probeSpec('Wrong', {}), handlerExport: 'main' });
    const result = await runner.invoke('Wrong', {});
    expect(result.error).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
  });
});

/** The analysis limiter: a bounded number of analyses run, a bounded number wait, the rest are throttled. */
import { AnalysisLimiter } from '../../../local/rekognition/server/analysis-limiter';
import { AwsError } from '../../../local/aws/errors';

/** A task that runs until the test finishes it, and records that it started. */
function controllable(started: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  const task = () => {
    started.push(name);
    return done;
  };
  return { task, finish, fail };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AnalysisLimiter', () => {
  it('runs at most maxRunning tasks at once and starts waiting ones in arrival order', async () => {
    const limiter = new AnalysisLimiter(2, 10);
    const started: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => controllable(started, name));
    const results = [a!, b!, c!, d!].map(({ task }) => limiter.run(task));
    await settle();
    expect(started).toEqual(['a', 'b']);
    b!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    a!.finish();
    c!.finish();
    d!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses a task with ThrottlingException (HTTP 500) when the running and waiting places are taken', async () => {
    const limiter = new AnalysisLimiter(1, 1);
    const started: string[] = [];
    const [running, waiting, refused] = ['running', 'waiting', 'refused'].map((name) => controllable(started, name));
    const accepted = [limiter.run(running!.task), limiter.run(waiting!.task)];
    const throttled = limiter.run(refused!.task);
    await expect(throttled).rejects.toMatchObject({ type: 'ThrottlingException', status: 500 });
    await expect(throttled).rejects.toBeInstanceOf(AwsError);
    running!.finish();
    waiting!.finish();
    await Promise.all(accepted);
    expect(started).toEqual(['running', 'waiting']);
  });

  it('frees the place of a task that fails', async () => {
    const limiter = new AnalysisLimiter(1, 0);
    const started: string[] = [];
    const failing = controllable(started, 'failing');
    const result = limiter.run(failing.task);
    failing.fail(new Error('engine failed'));
    await expect(result).rejects.toThrow('engine failed');
    const next = controllable(started, 'next');
    const nextResult = limiter.run(next.task);
    next.finish();
    expect(await nextResult).toBe('next');
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => new AnalysisLimiter(0, 1)).toThrow('maxRunning');
    expect(() => new AnalysisLimiter(1, -1)).toThrow('maxWaiting');
  });
});

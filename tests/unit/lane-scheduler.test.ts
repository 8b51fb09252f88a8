/**
 * The face pool's queue, with an injected task runner: image calls go before liveness frames, an image call that
 * would wait too long is refused at once with ThrottlingException, and a failing or stopped task never hangs.
 */
import { AwsError } from '../../local/aws/errors';
import { LaneScheduler, PoolStoppedError, type LaneSchedulerOptions } from '../../local/rekognition/engine-pool/lane-scheduler';

/** A runner whose tasks run until the test finishes them, recording which job each worker started. */
function heldRunner() {
  const started: string[] = [];
  const running = new Map<string, { finish(): void; fail(error: Error): void }>();
  const run = (_worker: number, job: string) =>
    new Promise<string>((resolve, reject) => {
      started.push(job);
      running.set(job, { finish: () => resolve(job), fail: reject });
    });
  return {
    started,
    run,
    finish: (job: string) => running.get(job)!.finish(),
    fail: (job: string, error: Error) => running.get(job)!.fail(error),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function scheduler(run: LaneSchedulerOptions<string, string>['run'], options: Partial<LaneSchedulerOptions<string, string>> = {}) {
  return new LaneScheduler<string, string>({ workers: 1, run, maxInteractiveWaitMs: 10_000, initialServiceMs: 100, ...options });
}

it('gives a freed worker the waiting interactive task before a liveness task queued earlier', async () => {
  const runner = heldRunner();
  const lanes = scheduler(runner.run);
  const busy = lanes.submit('liveness', 'frame 1');
  const frame = lanes.submit('liveness', 'frame 2');
  const image = lanes.submit('interactive', 'CompareFaces');
  await settle();
  expect(runner.started).toEqual(['frame 1']);
  runner.finish('frame 1');
  await busy;
  await settle();
  expect(runner.started).toEqual(['frame 1', 'CompareFaces']);
  runner.finish('CompareFaces');
  expect(await image).toBe('CompareFaces');
  await settle();
  expect(runner.started).toEqual(['frame 1', 'CompareFaces', 'frame 2']);
  runner.finish('frame 2');
  expect(await frame).toBe('frame 2');
});

it('runs the tasks of one lane in arrival order, as many at once as there are workers', async () => {
  const runner = heldRunner();
  const lanes = scheduler(runner.run, { workers: 2 });
  const results = ['a', 'b', 'c'].map((job) => lanes.submit('liveness', job));
  await settle();
  expect(runner.started).toEqual(['a', 'b']);
  runner.finish('b');
  await settle();
  expect(runner.started).toEqual(['a', 'b', 'c']);
  runner.finish('a');
  runner.finish('c');
  expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
});

it('gives a freed worker the waiting task of the lowest rank in a lane, then the older of equal ranks', async () => {
  const runner = heldRunner();
  const lanes = scheduler(runner.run);
  const busy = lanes.submit('liveness', 'running');
  const queued = [
    lanes.submit('liveness', 'later video, frame 1', 1),
    lanes.submit('liveness', 'earlier video, frame 1', 0),
    lanes.submit('liveness', 'later video, frame 2', 1),
    lanes.submit('liveness', 'earlier video, frame 2', 0),
  ];
  await settle();
  for (const job of ['running', 'earlier video, frame 1', 'earlier video, frame 2', 'later video, frame 1']) {
    runner.finish(job);
    await settle();
  }
  expect(runner.started).toEqual([
    'running',
    'earlier video, frame 1',
    'earlier video, frame 2',
    'later video, frame 1',
    'later video, frame 2',
  ]);
  runner.finish('later video, frame 2');
  await busy;
  expect(await Promise.all(queued)).toEqual([
    'later video, frame 1',
    'earlier video, frame 1',
    'later video, frame 2',
    'earlier video, frame 2',
  ]);
});

it('refuses at once with ThrottlingException (HTTP 500) an image call whose estimated wait is over the bound', async () => {
  const runner = heldRunner();
  // One worker, 400 ms a task: the first two waiting image calls would wait 400 and 800 ms, the third 1200.
  const lanes = scheduler(runner.run, { initialServiceMs: 400, maxInteractiveWaitMs: 1000 });
  const accepted = ['running', 'waiting 1', 'waiting 2'].map((job) => lanes.submit('interactive', job));
  const refused = lanes.submit('interactive', 'refused');
  await expect(refused).rejects.toBeInstanceOf(AwsError);
  await expect(refused).rejects.toMatchObject({ type: 'ThrottlingException', status: 500, message: 'Rate exceeded' });
  expect(lanes.queued()).toEqual({ interactive: 2, liveness: 0 });
  for (const job of ['running', 'waiting 1', 'waiting 2']) {
    runner.finish(job);
    await settle();
  }
  expect(await Promise.all(accepted)).toEqual(['running', 'waiting 1', 'waiting 2']);
});

it('admits an image call while a worker is free, whatever the bound', async () => {
  const runner = heldRunner();
  const lanes = scheduler(runner.run, { maxInteractiveWaitMs: 0 });
  const image = lanes.submit('interactive', 'DetectFaces');
  await expect(lanes.submit('interactive', 'second')).rejects.toMatchObject({ type: 'ThrottlingException' });
  runner.finish('DetectFaces');
  expect(await image).toBe('DetectFaces');
});

it('never refuses a liveness frame, however long the queue', async () => {
  const runner = heldRunner();
  const lanes = scheduler(runner.run, { maxInteractiveWaitMs: 0 });
  const frames = Array.from({ length: 50 }, (_, i) => lanes.submit('liveness', `frame ${i}`));
  await settle();
  expect(lanes.queued()).toEqual({ interactive: 0, liveness: 49 });
  for (let i = 0; i < 50; i += 1) {
    runner.finish(`frame ${i}`);
    await settle();
  }
  expect(await Promise.all(frames)).toHaveLength(50);
});

it('estimates the wait from the service time of the image calls it has timed', async () => {
  let now = 0;
  const runner = heldRunner();
  const lanes = scheduler(runner.run, { initialServiceMs: 100, maxInteractiveWaitMs: 500, now: () => now });
  const slow = lanes.submit('interactive', 'slow');
  now = 5000;
  runner.finish('slow');
  await slow;
  // The mean moved a fifth of the way from 100 to 5000 ms: one waiting call would now wait 1080 ms.
  const running = lanes.submit('interactive', 'running');
  expect(lanes.estimatedInteractiveWaitMs()).toBe(1080);
  await expect(lanes.submit('interactive', 'refused')).rejects.toMatchObject({ type: 'ThrottlingException' });
  runner.finish('running');
  await running;
});

it('fails only the task whose run fails, and its worker takes the next task', async () => {
  const runner = heldRunner();
  const lanes = scheduler(runner.run);
  const failing = lanes.submit('interactive', 'failing');
  const next = lanes.submit('interactive', 'next');
  runner.fail('failing', new Error('face worker exited (code 3)'));
  await expect(failing).rejects.toThrow('face worker exited (code 3)');
  await settle();
  runner.finish('next');
  expect(await next).toBe('next');
});

it('fails a task whose runner throws instead of returning a promise', async () => {
  const lanes = scheduler(() => {
    throw new Error('no worker');
  });
  await expect(lanes.submit('liveness', 'frame')).rejects.toThrow('no worker');
});

it('when stopped, fails the waiting tasks and refuses new ones with PoolStoppedError', async () => {
  const runner = heldRunner();
  const lanes = scheduler(runner.run);
  const running = lanes.submit('liveness', 'running');
  const waiting = lanes.submit('interactive', 'waiting');
  lanes.stop();
  await expect(waiting).rejects.toBeInstanceOf(PoolStoppedError);
  await expect(lanes.submit('interactive', 'late')).rejects.toBeInstanceOf(PoolStoppedError);
  runner.finish('running');
  expect(await running).toBe('running');
});

it('refuses settings that cannot work', () => {
  const run = heldRunner().run;
  expect(() => scheduler(run, { workers: 0 })).toThrow('workers');
  expect(() => scheduler(run, { maxInteractiveWaitMs: -1 })).toThrow('maxInteractiveWaitMs');
  expect(() => scheduler(run, { initialServiceMs: 0 })).toThrow('initialServiceMs');
});

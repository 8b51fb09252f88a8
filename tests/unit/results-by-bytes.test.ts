/**
 * The local emulators' results by upload bytes (a Textract page reading, a Rekognition image analysis): the same
 * bytes are computed once, a run in progress is joined, a failure is not kept, and what is kept expires and makes room.
 */
import { jest } from '@jest/globals';
import { ResultsByBytes } from '../../local/aws/results-by-bytes';

const PAGE = Buffer.from('the same page');

/** A computation the test finishes when it wants, counting how often it really ran. */
function controlledRun() {
  let finish: (text: string) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const run = jest.fn(
    () =>
      new Promise<string>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      }),
  );
  return { run, finish: (text: string) => finish(text), fail: (error: Error) => fail(error) };
}

test('a second request for the same bytes joins the run in progress', async () => {
  const results = new ResultsByBytes<string>({ maxKept: 64 });
  const computation = controlledRun();
  const first = results.get(PAGE, computation.run);
  const second = results.get(Buffer.from(PAGE), computation.run);
  computation.finish('PASSPORT');
  await expect(Promise.all([first, second])).resolves.toEqual(['PASSPORT', 'PASSPORT']);
  expect(computation.run).toHaveBeenCalledTimes(1);
});

test('a finished result answers the same bytes again until it expires', async () => {
  let now = 0;
  const results = new ResultsByBytes<string>({ keepMs: 60_000, maxKept: 64, nowMs: () => now });
  const computation = controlledRun();
  const first = results.get(PAGE, computation.run);
  computation.finish('PASSPORT');
  await first;
  now = 59_999;
  await expect(results.get(PAGE, computation.run)).resolves.toBe('PASSPORT');
  expect(computation.run).toHaveBeenCalledTimes(1);
  now = 60_000;
  void results.get(PAGE, computation.run);
  expect(computation.run).toHaveBeenCalledTimes(2);
});

test('without a keeping time a result is kept for as long as there is room', async () => {
  let now = 0;
  const results = new ResultsByBytes<string>({ maxKept: 2, nowMs: () => now });
  await results.get(PAGE, async () => 'analysed');
  now = 365 * 24 * 3600 * 1000;
  const again = jest.fn(async () => 'analysed again');
  await expect(results.get(PAGE, again)).resolves.toBe('analysed');
  expect(again).not.toHaveBeenCalled();
});

test('other bytes are computed on their own, even when they only extend the first', async () => {
  const results = new ResultsByBytes<string>({ maxKept: 64 });
  const computation = controlledRun();
  void results.get(PAGE, computation.run);
  void results.get(Buffer.concat([PAGE, Buffer.from(' and more')]), computation.run);
  expect(computation.run).toHaveBeenCalledTimes(2);
});

test('a failure is not kept: the next request computes again', async () => {
  const results = new ResultsByBytes<string>({ maxKept: 64 });
  const computation = controlledRun();
  const first = results.get(PAGE, computation.run);
  computation.fail(new Error('ThrottlingException'));
  await expect(first).rejects.toThrow('ThrottlingException');
  void results.get(PAGE, computation.run);
  expect(computation.run).toHaveBeenCalledTimes(2);
});

test('when full, the least recently used result makes room', async () => {
  const results = new ResultsByBytes<string>({ maxKept: 2 });
  const runs: string[] = [];
  const get = (text: string) =>
    results.get(Buffer.from(text), async () => {
      runs.push(text);
      return text;
    });
  for (const text of ['a', 'b', 'a', 'c', 'a', 'b']) await get(text);
  expect(runs).toEqual(['a', 'b', 'c', 'b']);
});

test('refuses a size that keeps nothing', () => {
  expect(() => new ResultsByBytes<string>({ maxKept: 0 })).toThrow('maxKept must be a positive integer, got 0');
});

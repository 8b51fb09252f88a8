import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { HEAVY_SUITE, takeHeavySuiteTurn } = require('../support/heavy-suites.cjs') as {
  HEAVY_SUITE: RegExp;
  takeHeavySuiteTurn: (turn?: string) => Promise<() => Promise<void>>;
};
const { forHeavySuiteTurns } = require('../support/slow-suites-first.cjs') as {
  forHeavySuiteTurns: (ordered: { path: string }[]) => { path: string }[];
};

let directory: string;
let turn: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'heavy-suite-turn-'));
  turn = join(directory, 'turn');
});
afterEach(() => rm(directory, { recursive: true, force: true }));

/** Whether the promise is still pending after the turn's poll has had time to look again. */
async function stillWaiting(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  return (await Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(pending), 600))])) === pending;
}

describe('heavy suites take turns', () => {
  test('a second suite waits until the first gives its turn back', async () => {
    const endFirst = await takeHeavySuiteTurn(turn);
    await writeFile(join(turn, 'pid'), String(process.ppid)); // held by a live process other than this one
    const second = takeHeavySuiteTurn(turn);
    expect(await stillWaiting(second)).toBe(true);
    await endFirst();
    await (await second)();
  });

  test('takes over a turn left by a process that ended', async () => {
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    await mkdir(turn);
    await writeFile(join(turn, 'pid'), String(ended));
    const end = await takeHeavySuiteTurn(turn);
    await end();
  });

  test("takes over a turn held under its own process's pid, which a suite of this worker left behind", async () => {
    await mkdir(turn);
    await writeFile(join(turn, 'pid'), String(process.pid));
    await (await takeHeavySuiteTurn(turn))();
  });

  test('counts the suites that start a stack, score liveness video or drive a browser as heavy, and no others', () => {
    const heavy = [
      '/repo/tests/browser/app.test.ts',
      '/repo/tests/integration/flow/attacks.test.ts',
      '/repo/tests/integration/privacy/face-data.test.ts',
      '/repo/tests/integration/liveness/sessions.test.ts',
      '/repo/tests/integration/liveness/stream-limits.test.ts',
      '/repo/tests/integration/stack/local-stack.test.ts',
      '/repo/tests/integration/stack/invoke.test.ts',
    ];
    const light = [
      '/repo/tests/unit/sweep.test.ts',
      '/repo/tests/template/sam-build.test.ts',
      '/repo/tests/integration/stack/s3-folders.test.ts',
      '/repo/tests/integration/engine/face-engine.test.ts',
      '/repo/tests/integration/liveness/webm-frames.test.ts',
    ];
    expect(heavy.filter((path) => !HEAVY_SUITE.test(path))).toEqual([]);
    expect(light.filter((path) => HEAVY_SUITE.test(path))).toEqual([]);
  });

  test('orders the longest heavy suite, then the light ones with the slow ones first, then the other heavy ones', () => {
    const paths = [
      '/r/tests/integration/flow/refusals.test.ts',
      '/r/tests/integration/flow/attacks.test.ts',
      '/r/tests/unit/sweep.test.ts',
      '/r/tests/template/sam-build.test.ts',
      '/r/tests/browser/app.test.ts',
    ];
    expect(forHeavySuiteTurns(paths.map((path) => ({ path }))).map(({ path }) => path)).toEqual([
      '/r/tests/integration/flow/attacks.test.ts',
      '/r/tests/template/sam-build.test.ts',
      '/r/tests/unit/sweep.test.ts',
      '/r/tests/integration/flow/refusals.test.ts',
      '/r/tests/browser/app.test.ts',
    ]);
  });
});

/**
 * The browser suites take turns, whichever Jest workers run them: two Chromiums (one with a fake camera and the
 * liveness component) and their stacks starve each other on 2 cores, so much that the first enrollment missed
 * verify's 4 s. A directory is the lock (mkdir is atomic); it names its holder's pid, so that a lock left behind by a
 * killed run is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'cognito-face-login-browser-turn');
/** The longest a suite may wait for its turn: the longest browser suite takes about 2 minutes. */
export const BROWSER_TURN_WAIT_MS = 300_000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until no other browser suite runs; the turn lasts until the returned function is called. */
export async function takeBrowserTurn(): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'pid'), String(process.pid));
      return () => rm(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // No pid yet means its holder is between mkdir and writeFile.
    const holder = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => '0'));
    if (holder > 0 && !isRunning(holder)) await rm(LOCK, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

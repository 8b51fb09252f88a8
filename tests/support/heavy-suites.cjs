/**
 * The suites that run a whole local stack, or score real-time liveness video, take turns across Jest's workers: two
 * of them at once starve each other on 2 cores until a trigger misses its budget (Cognito's 5 s), which is a failure
 * the stack rightly reports, not a flaw in the code under test. So one such suite runs at a time, and the other
 * worker runs the light suites beside it. A directory is the turn (mkdir is atomic); it names its holder's pid, so
 * a turn left behind by a killed worker is taken over. CommonJS: the test environment and sequencer load it before
 * any TypeScript transform.
 */
const { mkdir, readFile, rm, writeFile } = require('node:fs/promises');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const HEAVY_SUITE =
  /\/tests\/(?:browser\/|integration\/(?:flow|privacy)\/|integration\/stack\/(?:local-stack|invoke)\.test|integration\/liveness\/(?:sessions|stream-limits|sdk-client)\.test)/;

const TURN = join(tmpdir(), 'cognito-face-login-heavy-suite-turn');
const POLL_MS = 250;

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Waits until no other heavy suite runs; the turn lasts until the returned function is called. */
async function takeHeavySuiteTurn(turn = TURN) {
  for (;;) {
    try {
      await mkdir(turn);
      await writeFile(join(turn, 'pid'), String(process.pid));
      return () => rm(turn, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    // No pid yet means its holder is between mkdir and writeFile. A worker runs one suite at a time, so a turn held
    // under this worker's own pid was left by a suite of it that ended without giving it back.
    const holder = Number(await readFile(join(turn, 'pid'), 'utf8').catch(() => '0'));
    if (holder > 0 && (holder === process.pid || !isRunning(holder))) await rm(turn, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

module.exports = { HEAVY_SUITE, takeHeavySuiteTurn };

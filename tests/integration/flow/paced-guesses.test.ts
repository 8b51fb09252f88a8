/**
 * Guesses paced under the lockout window, through the public APIs against `npm start`: the window alone never locks
 * them, so LockoutDailyFailures must. The stack counts a 2 s window (LockoutWindowSeconds=2, LockoutFailures=2) and
 * locks a day at 4 failures (LockoutDailyFailures=4), so a day's worth of pacing takes seconds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startStackProcess, type StackProcess } from '../stack/stack-process';
import { flowUser, stackTable, type FlowUser } from './harness';

const WINDOW_MS = 2000;
const DAY_MS = 24 * 60 * 60 * 1000;

describe('guesses paced under the lockout window', () => {
  let stack: StackProcess;
  let table: ReturnType<typeof stackTable>;

  beforeAll(async () => {
    stack = await startStackProcess([
      ...['--parameter', 'LockoutFailures=2'],
      ...['--parameter', `LockoutWindowSeconds=${WINDOW_MS / 1000}`],
      ...['--parameter', 'LockoutDailyFailures=4'],
    ]);
    table = stackTable(stack);
  }, 120000);

  afterAll(() => {
    table?.destroy();
    return stack?.dispose();
  });

  const lockOf = (sub: string) => table.item(sub, 'LOCKOUT');

  /** A new sign-in answered with a wrong email code, after the window of the one before has passed. */
  async function pacedWrongCode(user: FlowUser) {
    await sleep(WINDOW_MS + 500);
    const challenge = await user.startSignIn();
    expect(challenge.ChallengeParameters?.step).toBe('EMAIL_CODE');
    const code = await user.mailboxCode();
    return user.answer(challenge.Session!, String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
  }

  // One user, guessing in turn: each test goes on from where the one before left off.
  const user = () => flowUser(stack, 'paced-guesser@example.com');
  let sub: string;

  test('three wrong email codes, one window apart, never lock by the window', async () => {
    sub = (await user().signUp()).UserSub!;
    for (let guess = 0; guess < 3; guess += 1) {
      // Asked again for the code: the sign-in goes on.
      expect((await pacedWrongCode(user())).ChallengeParameters?.step).toBe('EMAIL_CODE');
    }
    expect(await lockOf(sub)).toBeUndefined();
  }, 60000);

  test('the fourth within a day reaches the daily limit: it ends its sign-in and locks the user for a day', async () => {
    const before = Date.now();
    await expect(pacedWrongCode(user())).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    const lockedUntilMs = Number((await lockOf(sub))?.lockedUntil) * 1000;
    expect(lockedUntilMs).toBeGreaterThanOrEqual(before + DAY_MS - 60_000);
    expect(lockedUntilMs).toBeLessThanOrEqual(Date.now() + DAY_MS + 60_000);
  }, 60000);

  test('the locked user cannot start a sign-in after the window has passed either', async () => {
    await sleep(WINDOW_MS + 500);
    await expect(user().startSignIn()).rejects.toMatchObject({ name: 'NotAuthorizedException' });
  }, 60000);
});

import { jest } from '@jest/globals';
import { currentAbortSignal, withDeadline } from '../../functions/lib/deadline';
import { FAILED_MESSAGE, REFUSED_MESSAGE, Refusal, withErrorPolicy } from '../../functions/lib/trigger';
import { serviceError } from './support/aws-mocks';

const never = () => new Promise<never>(() => undefined);

afterEach(() => jest.useRealTimers());

describe('the error policy of every trigger', () => {
  test("passes the work's result through", async () => {
    await expect(withErrorPolicy(async (event: { n: number }) => event.n + 1)({ n: 1 })).resolves.toBe(2);
  });

  test('turns a refusal into the fixed refusal text, without its reason', async () => {
    const refuse = withErrorPolicy(async () => {
      throw new Refusal('user 7d3f4c2a has no email attribute');
    });
    await expect(refuse({})).rejects.toThrow(new Error(REFUSED_MESSAGE));
  });

  test('turns any other error into the fixed failure text: no SDK message, name or stack reaches the caller', async () => {
    const fail = withErrorPolicy(async () => {
      throw serviceError(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/CreateAuthChallengeFunction is not authorized',
      );
    });
    const error = (await fail({}).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(FAILED_MESSAGE);
    expect(error.name).toBe('Error');
    expect(error.stack).not.toContain('AccessDeniedException');
  });

  test('fails work that outlasts its budget with the fixed failure text, and aborts it', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    let signal: AbortSignal | undefined;
    const slow = withErrorPolicy(async () => {
      signal = currentAbortSignal();
      return never();
    }, 1000);
    const answer = slow({}).catch((caught: unknown) => caught);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await answer).toEqual(new Error(FAILED_MESSAGE));
    expect(signal?.aborted).toBe(true);
  });
});

describe('deadlines', () => {
  test('give work that finishes in time its own result, without aborting it', async () => {
    let signal: AbortSignal | undefined;
    const result = await withDeadline(
      async () => {
        signal = currentAbortSignal();
        return 'done';
      },
      1000,
      () => 'late',
    );
    expect(result).toBe('done');
    expect(signal?.aborted).toBe(false);
  });

  test('answer with the fallback when the work is late', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const answer = withDeadline(never, 500, () => 'late');
    await jest.advanceTimersByTimeAsync(500);
    await expect(answer).resolves.toBe('late');
  });

  test('give no signal outside a deadline', () => {
    expect(currentAbortSignal()).toBeUndefined();
  });
});

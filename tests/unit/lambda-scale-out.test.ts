import { describe, expect, it } from '@jest/globals';
import { scaleOutPays } from '../../local/lambda/runner';

describe('scaling a function out during a burst', () => {
  it('starts a container when none is running', () => {
    expect(scaleOutPays({ busy: 0, waiting: 0, meanDurationMs: 30, meanInitMs: 200 })).toBe(true);
  });

  it('queues a quick invocation behind a busy container rather than importing a new one', () => {
    expect(scaleOutPays({ busy: 1, waiting: 0, meanDurationMs: 30, meanInitMs: 200 })).toBe(false);
  });

  it('starts a container for a quick invocation once the queue ahead would take longer than an import', () => {
    expect(scaleOutPays({ busy: 2, waiting: 12, meanDurationMs: 30, meanInitMs: 200 })).toBe(false);
    expect(scaleOutPays({ busy: 2, waiting: 13, meanDurationMs: 30, meanInitMs: 200 })).toBe(true);
  });

  it('gives a slow invocation its own container at once', () => {
    expect(scaleOutPays({ busy: 3, waiting: 0, meanDurationMs: 800, meanInitMs: 200 })).toBe(true);
  });

  it('counts an unknown duration as one import, so a first burst queues one invocation per container', () => {
    expect(scaleOutPays({ busy: 3, waiting: 2, meanDurationMs: undefined, meanInitMs: undefined })).toBe(false);
    expect(scaleOutPays({ busy: 3, waiting: 3, meanDurationMs: undefined, meanInitMs: undefined })).toBe(true);
  });

  it('weighs the wait against this function’s own measured import time', () => {
    expect(scaleOutPays({ busy: 1, waiting: 3, meanDurationMs: 100, meanInitMs: 500 })).toBe(false);
    expect(scaleOutPays({ busy: 1, waiting: 3, meanDurationMs: 100, meanInitMs: 300 })).toBe(true);
  });
});

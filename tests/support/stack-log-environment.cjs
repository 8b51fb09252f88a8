/**
 * Jest's node environment, plus two things. When a test fails while a local stack runs (tests/integration/stack/
 * stack-process.ts), what that stack printed during the test is added to the failure: the stack's log says why it
 * refused (a refusal never tells the caller), so a failure in CI is explained by the report alone. And a heavy
 * suite (./heavy-suites.cjs) waits for its turn before it starts and gives it back when it ends. CommonJS, because
 * Jest loads the environment before any TypeScript transform.
 */
const { TestEnvironment } = require('jest-environment-node');
const { HEAVY_SUITE, takeHeavySuiteTurn } = require('./heavy-suites.cjs');

/** Enough for a sign-in's trigger lines; the end of a long test is what explains its failure. */
const MAX_CHARS = 12_000;
/** The Lambda runtime's own lines and the metric records say nothing about why. */
const ROUTINE_LINE = /^\[\w+\] (?:(?:START|END|REPORT) RequestId|INIT_REPORT|\{"_aws")/;

class StackLogEnvironment extends TestEnvironment {
  /** Where each running stack's output stood when the current test started. */
  printedAtStart = new Map();
  /** Ends this suite's heavy-suite turn, while it holds one. */
  endTurn = undefined;

  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    if (HEAVY_SUITE.test(this.testPath)) this.endTurn = await takeHeavySuiteTurn();
    await super.setup();
  }

  async teardown() {
    try {
      await super.teardown();
    } finally {
      await this.endTurn?.();
      this.endTurn = undefined;
    }
  }

  /** What each running stack printed since `marks` were taken (from its start for a stack started since). */
  printedSince(marks) {
    /** Set by stack-process.ts: one function per running stack, returning everything it printed so far. */
    const stacks = this.global.__runningStackOutputs ?? new Set();
    return [...stacks].map((printed) => {
      const during = printed()
        .slice(marks.get(printed) ?? 0)
        .split('\n')
        .filter((line) => !ROUTINE_LINE.test(line))
        .join('\n');
      return during.length > MAX_CHARS ? `[…]${during.slice(-MAX_CHARS)}` : during;
    });
  }

  marks() {
    const stacks = this.global.__runningStackOutputs ?? new Set();
    return new Map([...stacks].map((printed) => [printed, printed().length]));
  }

  async handleTestEvent(event) {
    if (event.name === 'test_start') this.printedAtStart = this.marks();
    // A beforeAll that fails (a stack that would not start, a sign-in that setup needs) fails every test after it; what
    // the stack printed during the hook is shown with the first of them.
    if (event.name === 'hook_start' && event.hook.type === 'beforeAll') this.printedAtHookStart = this.marks();
    if (event.name === 'hook_failure' && event.hook.type === 'beforeAll') this.failedHookLogs = this.printedSince(this.printedAtHookStart ?? new Map());
    if (event.name === 'test_done' && event.test.errors.length > 0) {
      const add = (heading, shown) => {
        const log = new Error(`${heading}:\n${shown}`);
        log.stack = log.message;
        event.test.errors.push(log);
      };
      for (const shown of this.failedHookLogs ?? []) add('the local stack printed during the beforeAll that failed', shown);
      this.failedHookLogs = undefined;
      for (const shown of this.printedSince(this.printedAtStart)) add('the local stack printed during this test', shown);
    }
  }
}

module.exports = StackLogEnvironment;

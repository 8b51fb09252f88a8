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

  async handleTestEvent(event) {
    /** Set by stack-process.ts: one function per running stack, returning everything it printed so far. */
    const stacks = this.global.__runningStackOutputs;
    if (!stacks || stacks.size === 0) return;
    if (event.name === 'test_start') this.printedAtStart = new Map([...stacks].map((printed) => [printed, printed().length]));
    if (event.name === 'test_done' && event.test.errors.length > 0) {
      for (const printed of stacks) {
        const during = printed()
          .slice(this.printedAtStart.get(printed) ?? 0)
          .split('\n')
          .filter((line) => !ROUTINE_LINE.test(line))
          .join('\n');
        const shown = during.length > MAX_CHARS ? `[…]${during.slice(-MAX_CHARS)}` : during;
        const log = new Error(`the local stack printed during this test:\n${shown}`);
        log.stack = log.message;
        event.test.errors.push(log);
      }
    }
  }
}

module.exports = StackLogEnvironment;

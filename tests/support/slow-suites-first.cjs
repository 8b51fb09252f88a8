/**
 * Jest's own order (failed first, then longest by the last run's times, else largest file), rearranged for two
 * workers of which only one at a time may run a heavy suite (./heavy-suites.cjs): the longest heavy suite, then every
 * light one, slow ones first, then the other heavy ones. So one worker runs the first heavy suite while the other
 * runs the light suites, and a worker that waits for a heavy turn waits only when nothing light is left. A fresh
 * clone (CI) has no times cached, and file size alone would start slow suites last. CommonJS, as Jest loads it
 * before any TypeScript transform.
 */
const Sequencer = require('@jest/test-sequencer').default;
const { HEAVY_SUITE } = require('./heavy-suites.cjs');

/** Light but slow: an outside build tool, or a server started per suite. */
const SLOW_SUITE = /\/tests\/(?:integration\/stack|template\/sam-build)[/.]/;

/**
 * The longest heavy suite (about 3 minutes alone), which should run beside the light ones. Jest orders by the last
 * run's times when it has them; a fresh clone has none and would start with the largest file.
 */
const LONGEST_HEAVY_SUITE = /\/tests\/integration\/flow\/attacks\.test\.ts$/;

/** `ordered` (Jest's order) as the workers should take it. */
function forHeavySuiteTurns(ordered) {
  const heavy = [
    ...ordered.filter((test) => LONGEST_HEAVY_SUITE.test(test.path)),
    ...ordered.filter((test) => HEAVY_SUITE.test(test.path) && !LONGEST_HEAVY_SUITE.test(test.path)),
  ];
  const light = ordered.filter((test) => !HEAVY_SUITE.test(test.path));
  const lightSlowFirst = [...light.filter((test) => SLOW_SUITE.test(test.path)), ...light.filter((test) => !SLOW_SUITE.test(test.path))];
  return [...heavy.slice(0, 1), ...lightSlowFirst, ...heavy.slice(1)];
}

class SlowSuitesFirst extends Sequencer {
  sort(tests) {
    return forHeavySuiteTurns(super.sort(tests));
  }
}

module.exports = SlowSuitesFirst;
module.exports.forHeavySuiteTurns = forHeavySuiteTurns;

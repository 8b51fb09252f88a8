/**
 * Jest's own order (failed first, then longest by the last run's times, else largest file), rearranged for two
 * workers of which only one at a time may run a heavy suite (./heavy-suites.cjs): the first heavy suite, then every
 * light one, slow ones first, then the other heavy ones. So one worker runs the first heavy suite while the other
 * runs the light suites, and a worker that waits for a heavy turn waits only when nothing light is left. A fresh
 * clone (CI) has no times cached, and file size alone would start slow suites last. CommonJS, as Jest loads it
 * before any TypeScript transform.
 */
const Sequencer = require('@jest/test-sequencer').default;
const { HEAVY_SUITE } = require('./heavy-suites.cjs');

/** Light but slow: an outside build tool, or a server started per suite. */
const SLOW_SUITE = /\/tests\/(?:integration\/stack|template\/sam-build)[/.]/;

/** `ordered` (Jest's order) as the workers should take it. */
function forHeavySuiteTurns(ordered) {
  const heavy = ordered.filter((test) => HEAVY_SUITE.test(test.path));
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

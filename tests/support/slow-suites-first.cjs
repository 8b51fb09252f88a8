/**
 * Jest's own order (failed first, then longest by the last run's times, else largest file), with the suites that
 * start a whole stack, stream real-time video, drive a browser or run an outside build tool moved to the front. A
 * fresh clone (CI) has no times cached, and file size alone would start some of them last, where a 2-minute suite
 * running on one worker while the other idles decides how long the whole run takes. CommonJS, as Jest loads it
 * before any TypeScript transform.
 */
const Sequencer = require('@jest/test-sequencer').default;

const SLOW_SUITE = /\/tests\/(?:browser|integration\/(?:flow|liveness|privacy|stack)|template\/sam-build)[/.]/;

class SlowSuitesFirst extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    return [...ordered.filter((test) => SLOW_SUITE.test(test.path)), ...ordered.filter((test) => !SLOW_SUITE.test(test.path))];
  }
}

module.exports = SlowSuitesFirst;

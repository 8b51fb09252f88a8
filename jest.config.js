/** Tests read like a specification: tests/unit (mocked AWS calls), tests/template, tests/integration (real local servers). */
export default {
  // Node's environment; a failed test also shows what the local stack printed meanwhile.
  testEnvironment: '<rootDir>/tests/support/stack-log-environment.cjs',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  // Two suites at a time, but one heavy suite (a whole stack, liveness video, a browser) at a time, beside the light
  // ones (tests/support/heavy-suites.cjs, taken by the environment above and planned for by the sequencer below).
  maxWorkers: 2,
  testSequencer: '<rootDir>/tests/support/slow-suites-first.cjs',
  collectCoverageFrom: ['functions/**/*.ts'],
  coverageProvider: 'v8',
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: { './functions/': { lines: 90 } },
  testTimeout: 60000,
};

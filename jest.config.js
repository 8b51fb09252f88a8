/** Tests read like a specification: tests/unit (mocked AWS calls), tests/template, tests/integration (real local servers). */
export default {
  // Node's environment; a failed test also shows what the local stack printed meanwhile.
  testEnvironment: '<rootDir>/tests/support/stack-log-environment.cjs',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  // Two suites at a time, even on 2 cores: the integration suites mostly wait on real-time video, so two overlap
  // (CI: about 12 minutes of tests where one at a time took 19). Each suite starts its own stack on free ports.
  maxWorkers: 2,
  testSequencer: '<rootDir>/tests/support/slow-suites-first.cjs',
  collectCoverageFrom: ['functions/**/*.ts'],
  coverageProvider: 'v8',
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: { './functions/': { lines: 90 } },
  testTimeout: 60000,
};

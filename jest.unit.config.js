/**
 * `npm run test:unit`: the unit specs only (`*.spec.ts` in src/, tools/, bench/ and test/), with no global
 * setup and no services (no database, no Redis, no spawned servers); seconds, not minutes.
 */
const full = require('./jest.config');

module.exports = {
  ...full,
  testMatch: ['**/*.spec.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 10000,
  maxWorkers: '50%',
  reporters: [
    'default',
    '<rootDir>/test/setup/summary-reporter.js',
    ['<rootDir>/test/setup/json-results-reporter.js', { outputFile: 'reports/jest/unit.json' }],
  ],
};

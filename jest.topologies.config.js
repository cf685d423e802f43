/** The Redis topology suites (test/topologies/): `npm run test:topologies`. Same setup as `npm test`. */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/topologies'],
  testPathIgnorePatterns: ['/node_modules/'],
  // One topology at a time: each starts 5-6 redis-server processes and two gateways.
  maxWorkers: 1,
  testTimeout: 120000,
  reporters: [
    'default',
    '<rootDir>/test/setup/summary-reporter.js',
    ['<rootDir>/test/setup/json-results-reporter.js', { outputFile: 'reports/jest/topologies.json' }],
  ],
};

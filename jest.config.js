/**
 * The full suite (`npm test`): unit specs beside the code (`*.spec.ts`), integration specs beside
 * the code that need real services (`*.int-spec.ts`), and e2e suites under test/. Global setup
 * gives the run its own database and Redis key prefix. `npm run test:unit` uses jest.unit.config.js.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/src', '<rootDir>/tools', '<rootDir>/bench', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
  // The Redis Cluster / Sentinel suites start and fail over whole topologies (about a minute each):
  // they run on their own, `npm run test:topologies` (jest.topologies.config.js), also in .ci/run.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/topologies/'],
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  // A bound, not a speed target: spawned servers start slowly on a loaded 2-core machine.
  testTimeout: 60000,
  maxWorkers: 2,
  // The JSON results are the evidence `npm run gate -- --evidence-only` reads (CI, after `npm test`).
  reporters: [
    'default',
    '<rootDir>/test/setup/summary-reporter.js',
    ['<rootDir>/test/setup/json-results-reporter.js', { outputFile: 'reports/jest/main.json' }],
  ],
  verbose: false,
};

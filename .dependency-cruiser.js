/**
 * Layer rules from docs/style.md, checked by `npm run lint`: shared building blocks never import
 * feature modules, and features do not reach into each other except through the allowed ones.
 */
const shared = '^src/(platform/|features/auth/(tokens|lockout|credentials|identity)/|features/payments/resilience/)';
const features = '^src/features/(auth/[^/]+\\.ts$|auth/dto/|users/|payments/(?!resilience/)|admin/)';
module.exports = {
  forbidden: [
    {
      name: 'shared-must-not-import-features',
      severity: 'error',
      comment: 'config, secrets, credentials, database, redis, identity, validation, problems, tokens, lockout, resilience, rate-limit, health and metrics are building blocks: they never import a feature module.',
      from: { path: shared },
      to: { path: features },
    },
    {
      name: 'auth-must-not-import-payments',
      severity: 'error',
      from: { path: '^src/features/auth/' },
      to: { path: '^src/features/payments/' },
    },
    {
      name: 'users-must-not-import-auth',
      severity: 'error',
      comment: 'auth builds on users (and both on credentials), never the other way round.',
      from: { path: '^src/features/users/' },
      to: { path: '^src/features/auth/([^/]+\\.ts$|dto/)' },
    },
    {
      name: 'payments-must-not-import-admin',
      severity: 'error',
      from: { path: '^src/features/payments/' },
      to: { path: '^src/features/admin/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports is dead code, unless it is an entry point (main, the CLI), a spec, or a declaration.',
      from: {
        orphan: true,
        pathNot: ['\\.d\\.ts$', '\\.spec\\.ts$', '^src/main\\.ts$', '^src/features/users/cli/create-user\\.ts$'],
      },
      to: {},
    },
    {
      name: 'src-must-not-import-tests',
      severity: 'error',
      comment: 'Specs beside the code may use the shared fixtures in test/helpers/; the code itself never does.',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Count `import type` too: a type-only cycle is still a cycle in the design.
    tsPreCompilationDeps: true,
  },
};

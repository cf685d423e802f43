/**
 * Layer rules from docs/style.md, checked by `npm run lint` over src/, tools/ and bench/:
 *
 * - platform/ is what every feature stands on: it never imports a feature;
 * - each feature under src/features/ has one door, its index.ts: other features, the root files
 *   (src/app.*.ts, src/main.ts), tools/ and bench/ import a feature only through it;
 * - tools/ and bench/ use src/ only through public doors: a feature's index.ts, platform/, the root
 *   files. They run the built entry points (dist/main.js, the user:create CLI) as processes.
 *
 * - a feature's domain (services, repositories, workers, settlement, idempotency: everything but the
 *   edge files below) answers in its own terms and never imports platform/problems; the edge
 *   (controllers, guards, pipes, decorators, filters, dto/, *-problems.ts, index.ts, modules)
 *   maps those answers to problems.
 *
 * test/ is not cruised: tests may import a feature's internals (a spec tests what it tests).
 * Specs beside the code (src/**\/*.spec.ts) are code of their feature and follow its rules.
 */
const door = '^src/features/[^/]+/index\\.ts$';
/** The HTTP edge of a feature: the only feature files that may build problems. */
const featureEdge = [
  '\\.(controller|guard|pipe|decorator|filter|module|spec)\\.ts$',
  '-(problems|guards)\\.ts$',
  '/dto/',
  door,
];
module.exports = {
  forbidden: [
    {
      name: 'platform-must-not-import-features',
      severity: 'error',
      comment:
        'config, secrets, database, redis, problems, http, validation, metrics, health, rate-limit and openapi are building blocks: they never import a feature (features register what platform runs, e.g. readiness details, through the root module).',
      from: { path: '^src/platform/' },
      to: { path: '^src/features/' },
    },
    {
      name: 'features-meet-only-at-doors',
      severity: 'error',
      comment:
        "A feature reaches another feature only through that feature's index.ts, so what a feature keeps inside can change without touching the others.",
      from: { path: '^src/features/([^/]+)/' },
      to: { path: '^src/features/', pathNot: ['^src/features/$1/', door] },
    },
    {
      name: 'root-and-tools-use-feature-doors',
      severity: 'error',
      comment: 'The root files (app.*.ts, main.ts), tools/ and bench/ import a feature only through its index.ts.',
      from: { path: '^(src/[^/]+\\.ts$|tools/|bench/)' },
      to: { path: '^src/features/', pathNot: door },
    },
    {
      name: 'tools-use-src-through-public-doors',
      severity: 'error',
      comment:
        "tools/ and bench/ may use src/ only through public doors: a feature's index.ts, platform/, the root files (app.*.ts, main.ts).",
      from: { path: '^(tools|bench)/' },
      to: { path: '^src/', pathNot: [door, '^src/platform/', '^src/app\\.[^/]+\\.ts$', '^src/main\\.ts$'] },
    },
    {
      name: 'feature-domain-must-not-import-problems',
      severity: 'error',
      comment:
        "A feature's domain (services, repositories, workers, settlement, idempotency) answers typed outcomes in its own terms; only its edge (controllers, guards, pipes, decorators, filters, dto/, *-problems.ts, index.ts, modules, specs) maps them to problems.",
      from: { path: '^src/features/', pathNot: featureEdge },
      to: { path: '^src/platform/problems/' },
    },
    {
      name: 'users-must-not-import-other-features',
      severity: 'error',
      comment:
        'users (records and credentials) is the bottom feature: auth and admin build on it, never the other way round.',
      from: { path: '^src/features/users/' },
      to: { path: '^src/features/(?!users/)' },
    },
    {
      name: 'auth-must-not-import-payments-or-admin',
      severity: 'error',
      from: { path: '^src/features/auth/' },
      to: { path: '^src/features/(payments|admin)/' },
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
      comment: "Includes cycles through a feature's index.ts (a feature's own files never import its door).",
      from: { path: '^(src|tools|bench)/' },
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment:
        'A module nothing imports is dead code, unless it is an entry point (main, the CLI, a tools/bench command), a spec, or a declaration.',
      from: {
        orphan: true,
        pathNot: [
          '\\.d\\.ts$',
          '\\.spec\\.ts$',
          '^src/main\\.ts$',
          '^src/features/users/cli/create-user\\.ts$',
          '^src/platform/openapi/export-openapi\\.ts$',
          '^tools/[^/]+/(cli|main)\\.ts$',
          '^bench/[^/]+\\.ts$',
        ],
      },
      to: {},
    },
    {
      name: 'src-must-not-import-tests',
      severity: 'error',
      comment: 'Specs beside the code may use the shared fixtures in test/helpers/; the code itself never does.',
      from: { path: '^src/', pathNot: '\\.(int-)?spec\\.ts$' },
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

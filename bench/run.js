'use strict';

/**
 * `npm run bench`: builds (npm script), then measures what the gateway's protections cost, as
 * ratios of runs taken side by side in one process tree. See docs/performance.md.
 *
 * Knobs (environment): BENCH_DURATION (seconds per run, default 5), BENCH_ROUNDS (default 3),
 * BENCH_CONNECTIONS (default 20), BENCH_ONLY (comma-separated scenario ids), BENCH_LOG_LEVEL
 * (gateway LOG_LEVEL, default info), BENCH_PROFILE=1 (run the gateway under --cpu-prof and print
 * its top frames), BENCH_NODE_ARGS (extra node flags for the gateway), BENCH_GATEWAY_ENV (JSON of extra gateway variables, for ablations),
 * DATABASE_URL / REDIS_URL (servers to use; defaults: local PostgreSQL and Redis).
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const { machineInfo } = require('./lib/machine');
const { startHangingProvider } = require('./lib/provider');
const {
  ROOT,
  BASE_REDIS_URL,
  onCleanup,
  runCleanups,
  freshDatabase,
  cleanRedisPrefixOnExit,
  spawnServer,
} = require('./lib/processes');
const { randomSecret, routeExists, createUser, login } = require('./lib/gateway');
const { topFrames, byPackage, newestProfile } = require('./lib/profile');
const { printTable } = require('./lib/report');

const SCENARIOS = [
  ['pipeline', 'Pipeline overhead (bare vs protected)', require('./scenarios/pipeline')],
  ['peer', 'Peer comparison (gateway vs Express)', require('./scenarios/peer')],
  ['redis', 'Redis round trips per protected request', require('./scenarios/redis-round-trips')],
  ['refresh', 'Refresh rotation vs UPDATE floor (c=50)', require('./scenarios/refresh')],
  ['flood', 'Login flood isolation', require('./scenarios/login-flood')],
  ['metrics', 'Metrics cost (on vs off) and the dashboard rendered from a run', require('./scenarios/metrics')],
  // Last: it leaves the breaker open.
  ['outage', 'Outage latency (breaker open)', require('./scenarios/outage')],
];

const log = (line) => process.stderr.write(line + '\n');

async function main() {
  const started = new Date();
  const runId = `${started.getTime().toString(36)}_${randomBytes(3).toString('hex')}`;
  const settings = {
    duration: Number(process.env.BENCH_DURATION || 5),
    rounds: Number(process.env.BENCH_ROUNDS || 3),
    connections: Number(process.env.BENCH_CONNECTIONS || 20),
    only: (process.env.BENCH_ONLY || '').split(',').filter(Boolean),
    profile: process.env.BENCH_PROFILE === '1',
  };
  const machine = await machineInfo();
  log(
    `bench ${runId}: ${machine.cpuModel} x${machine.cores}, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}`,
  );

  const database = await freshDatabase(runId);
  log(`database ${database.name} created and migrated`);
  const prefix = `gwbench:${runId}:`;
  cleanRedisPrefixOnExit(prefix);
  const provider = await startHangingProvider();
  onCleanup('close stand-in provider', () => provider.close());

  const gatewayEnv = {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'info',
    DOCS_ENABLED: 'false',
    DATABASE_URL: database.url,
    REDIS_URL: BASE_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    JWT_ACCESS_SECRET: randomSecret(),
    JWT_ISSUER: 'hardened-gateway',
    JWT_AUDIENCE: 'hardened-gateway-api',
    REFRESH_TOKEN_PEPPER: randomSecret(),
    PAYMENT_PROVIDER_URL: provider.url,
    PAYMENT_PROVIDER_API_KEY: randomSecret(24),
    PAYMENT_PROVIDER_TIMEOUT_MS: '2000',
    PAYMENT_PROVIDER_RETRIES: '2',
    CIRCUIT_FAILURE_THRESHOLD: '5',
    // The outage scenario measures the open breaker; no half-open probe may land inside it.
    CIRCUIT_HALF_OPEN_AFTER_MS: '600000',
    // Budgets high enough never to trip: the limiter still counts every request in Redis.
    RATE_LIMIT_GLOBAL_LIMIT: '1000000000',
    RATE_LIMIT_GLOBAL_TTL_SECONDS: '60',
    RATE_LIMIT_AUTH_LIMIT: '1000000000',
    RATE_LIMIT_AUTH_TTL_SECONDS: '60',
    LOCKOUT_THRESHOLD: '1000',
    DB_POOL_MAX: '10',
    // For ablations: extra gateway variables as JSON, e.g. '{"PASSWORD_HASH_CONCURRENCY":"1"}'.
    ...JSON.parse(process.env.BENCH_GATEWAY_ENV || '{}'),
  };
  const profileDir = join(ROOT, 'bench/results/profiles', runId);
  const nodeArgs = [
    ...(settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(process.env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean),
  ];
  const gateway = await spawnServer({
    label: 'gateway',
    script: join(ROOT, 'dist/main.js'),
    env: gatewayEnv,
    readyPath: '/health/ready',
    nodeArgs,
  });
  log(`gateway pid ${gateway.pid} at ${gateway.url}`);

  const routes = {
    login: await routeExists(gateway.url, 'POST', '/v1/auth/login'),
    me: await routeExists(gateway.url, 'GET', '/v1/auth/me'),
    refresh: await routeExists(gateway.url, 'POST', '/v1/auth/refresh'),
    payments: await routeExists(gateway.url, 'POST', '/v1/payments'),
    paymentRead: await routeExists(gateway.url, 'GET', '/v1/payments/00000000-0000-4000-8000-000000000000'),
  };
  const ctx = {
    runId,
    settings,
    database,
    provider,
    gateway,
    gatewayEnv,
    routes,
    log,
    authMissing: 'auth routes (POST /v1/auth/login, GET /v1/auth/me, POST /v1/auth/refresh) are not on this branch yet',
    peerEnv: () => ({
      NODE_ENV: 'production',
      REDIS_URL: gatewayEnv.REDIS_URL,
      REDIS_KEY_PREFIX: gatewayEnv.REDIS_KEY_PREFIX,
      JWT_ACCESS_SECRET: gatewayEnv.JWT_ACCESS_SECRET,
      JWT_ISSUER: gatewayEnv.JWT_ISSUER,
      JWT_AUDIENCE: gatewayEnv.JWT_AUDIENCE,
      RATE_LIMIT_GLOBAL_LIMIT: gatewayEnv.RATE_LIMIT_GLOBAL_LIMIT,
      RATE_LIMIT_GLOBAL_TTL_SECONDS: gatewayEnv.RATE_LIMIT_GLOBAL_TTL_SECONDS,
      RATE_LIMIT_AUTH_LIMIT: gatewayEnv.RATE_LIMIT_AUTH_LIMIT,
      RATE_LIMIT_AUTH_TTL_SECONDS: gatewayEnv.RATE_LIMIT_AUTH_TTL_SECONDS,
      DATABASE_URL: gatewayEnv.DATABASE_URL,
      DB_POOL_MAX: gatewayEnv.DB_POOL_MAX,
    }),
  };
  if (routes.login && routes.me && routes.refresh) {
    ctx.user = await createUser(database.url, { email: `bench-${runId}@bench.invalid` });
    ctx.session = await login(gateway.url, ctx.user);
  }

  const scenarios = {};
  for (const [id, title, scenario] of SCENARIOS) {
    if (settings.only.length && !settings.only.includes(id)) continue;
    log(`\n[${id}] ${title}`);
    const t0 = Date.now();
    try {
      scenarios[id] = { title, ...(await scenario(ctx)) };
    } catch (error) {
      scenarios[id] = { title, status: 'failed', reason: error.message };
      log(`  failed: ${error.stack}`);
    }
    scenarios[id].seconds = Math.round((Date.now() - t0) / 100) / 10;
  }

  await gateway.stop();
  let profile;
  if (settings.profile) {
    const file = newestProfile(profileDir);
    if (file) profile = { file, topFrames: topFrames(file), byPackage: byPackage(file) };
  }

  const finished = new Date();
  const result = {
    runId,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished - started) / 1000),
    machine,
    settings: { ...settings, gateway: redactSecrets(gatewayEnv) },
    routesPresent: routes,
    scenarios,
    ...(profile ? { profile } : {}),
  };
  // Runs go to an ignored folder: `npm run bench` never rewrites a tracked file. `npm run
  // bench:promote` copies a run to the tracked bench/results/latest.json (see docs/performance.md).
  const dir = join(ROOT, 'bench/results/runs');
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  printTable(result);
  if (profile) {
    console.log('\nGateway CPU profile, top frames by self time:');
    console.table(profile.topFrames);
    console.table(profile.byPackage);
  }
  console.log(
    `\nwritten bench/results/runs/${stamp}.json and bench/results/runs/latest.json (${result.durationSeconds} s); ` +
      'npm run bench:promote makes it the tracked summary',
  );
}

function redactSecrets(env) {
  const secret = /SECRET|PEPPER|API_KEY|DATABASE_URL|REDIS_URL/;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, secret.test(k) ? '<random per run>' : v]));
}

main()
  .catch((error) => {
    process.exitCode = 1;
    log(`bench failed: ${error.stack || error.message}`);
  })
  .finally(() => runCleanups());

/**
 * `npm run bench`: builds (npm script), then measures what the gateway's protections cost, as
 * ratios of runs taken side by side in one process tree. See docs/performance.md.
 *
 *   npm run bench [-- --only pipeline --duration 2 --rounds 1 ...]
 *
 * Options and their BENCH_* variables: bench/options.ts (`npm run bench -- --help`).
 * DATABASE_URL / REDIS_URL: the servers to use (defaults: local PostgreSQL and Redis).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyPrefix, runId as newRunId } from '../tools/harness';
import { cleanUpOnSignals, onCleanup, runCleanups } from './lib/cleanup';
import type { BenchContext, RunGatewayEnv, RunResult, Scenario, StoredScenario } from './lib/context';
import { createUser, login, routeExists } from './lib/gateway';
import { benchGatewayEnv } from './lib/gateway-env';
import { rssMiB } from './lib/load';
import { machineInfo } from './lib/machine';
import { byPackage, newestProfile, readProfile, topFrames } from './lib/profile';
import { startHangingProvider } from './lib/provider';
import { printTable } from './lib/report';
import { redactSecrets, runJson, RUNS_DIR, RUNS_LATEST, stampOf } from './lib/results';
import { cleanRedisPrefixOnExit, freshDatabase, GATEWAY_SCRIPT, ROOT, spawnServer } from './lib/servers';
import { parseBenchOptions, ScenarioId, SCENARIO_IDS, UsageError, USAGE } from './options';
import { attack } from './scenarios/attack';
import { loginFlood } from './scenarios/login-flood';
import { metrics } from './scenarios/metrics';
import { outage } from './scenarios/outage';
import { peer } from './scenarios/peer';
import { pipeline } from './scenarios/pipeline';
import { propagation } from './scenarios/propagation';
import { redisRoundTrips } from './scenarios/redis-round-trips';
import { refresh } from './scenarios/refresh';
import { webhooks } from './scenarios/webhooks';
import { soak } from './scenarios/soak';

/** Every scenario with its title; a run takes them in SCENARIO_IDS order (outage last: it leaves the breaker open). */
const SCENARIOS: Record<ScenarioId, [title: string, scenario: Scenario]> = {
  pipeline: ['Pipeline overhead (bare vs protected)', pipeline],
  peer: ['Peer comparison (gateway vs Express)', peer],
  redis: ['Redis round trips per protected request', redisRoundTrips],
  refresh: ['Refresh rotation vs UPDATE floor (c=50)', refresh],
  flood: ['Login flood isolation', loginFlood],
  metrics: ['Metrics cost (on vs off) and the dashboard rendered from a run', metrics],
  propagation: ['Admin changes across instances (two gateways)', propagation],
  webhooks: ['Provider webhooks: handling cost, and change -> settled by webhook and by status query', webhooks],
  soak: ['Memory under the soak load (RSS)', soak],
  attack: ['Credential attacks against the lockout (stuffing, spraying, victim lockout)', attack],
  outage: ['Outage latency (breaker open)', outage],
};

const log = (line: string): void => void process.stderr.write(line + '\n');

async function main(): Promise<void> {
  let options;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const { settings } = options;
  cleanUpOnSignals();
  const started = new Date();
  const stamp = stampOf(started.toISOString());
  const runId = newRunId(started);
  const machine = await machineInfo();
  log(
    `bench ${runId}: ${machine.cpuModel} x${machine.cores}, Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}`,
  );

  const database = await freshDatabase(runId);
  log(`database ${database.name} created and migrated`);
  const prefix = keyPrefix('gwbench', runId);
  cleanRedisPrefixOnExit(prefix);
  const provider = await startHangingProvider();
  onCleanup('close stand-in provider', () => provider.close());

  const gatewayEnv: RunGatewayEnv = benchGatewayEnv({
    databaseUrl: database.url,
    prefix,
    providerUrl: provider.url,
    logLevel: options.logLevel,
    extra: options.gatewayEnv,
  });
  const profileDir = join(ROOT, 'bench/results/profiles', runId);
  const gateway = await spawnServer({
    label: 'gateway',
    script: GATEWAY_SCRIPT,
    env: gatewayEnv,
    readyPath: '/health/ready',
    nodeArgs: [...(settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...options.nodeArgs],
  });
  // Resident memory once the gateway answers ready, before any load (the soak scenario measures it under load).
  const gatewayBootRssMiB = rssMiB(gateway.pid);
  log(`gateway pid ${gateway.pid} at ${gateway.url}, RSS after boot ${gatewayBootRssMiB} MiB`);

  const routes = {
    login: await routeExists(gateway.url, 'POST', '/v1/auth/login'),
    me: await routeExists(gateway.url, 'GET', '/v1/auth/me'),
    refresh: await routeExists(gateway.url, 'POST', '/v1/auth/refresh'),
    payments: await routeExists(gateway.url, 'POST', '/v1/payments'),
    paymentRead: await routeExists(gateway.url, 'GET', '/v1/payments/00000000-0000-4000-8000-000000000000'),
  };
  const ctx: BenchContext = {
    runId,
    stamp,
    settings,
    database,
    provider,
    gateway,
    gatewayEnv,
    gatewayNodeArgs: options.nodeArgs,
    gatewayBootRssMiB,
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

  const scenarios: Record<string, StoredScenario> = {};
  for (const id of SCENARIO_IDS) {
    if (settings.only.length && !settings.only.includes(id)) continue;
    const [title, scenario] = SCENARIOS[id];
    log(`\n[${id}] ${title}`);
    const t0 = Date.now();
    let stored: StoredScenario;
    try {
      stored = { title, ...(await scenario(ctx)) };
    } catch (error) {
      stored = { title, status: 'failed', reason: (error as Error).message };
      log(`  failed: ${(error as Error).stack}`);
    }
    stored.seconds = Math.round((Date.now() - t0) / 100) / 10;
    scenarios[id] = stored;
  }

  await gateway.stop();
  let profile: RunResult['profile'];
  if (settings.profile) {
    const file = newestProfile(profileDir);
    if (file) {
      const cpuProfile = readProfile(file);
      profile = { file, topFrames: topFrames(cpuProfile), byPackage: byPackage(cpuProfile) };
    }
  }

  const finished = new Date();
  const result: RunResult = {
    runId,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    machine,
    settings: { ...settings, gateway: redactSecrets(gatewayEnv) },
    routesPresent: routes,
    ...(gatewayBootRssMiB !== undefined ? { gatewayBootRssMiB } : {}),
    scenarios,
    ...(profile ? { profile } : {}),
  };
  // Runs go to an ignored folder: `npm run bench` never rewrites a tracked file. `npm run
  // bench:promote` copies a run to the tracked bench/promoted/latest.json (see docs/performance.md).
  mkdirSync(join(ROOT, RUNS_DIR), { recursive: true });
  const runFile = `${RUNS_DIR}/${stamp}.json`;
  writeFileSync(join(ROOT, runFile), runJson(result));
  writeFileSync(join(ROOT, RUNS_LATEST), runJson(result));
  printTable(result);
  if (profile) {
    console.log('\nGateway CPU profile, top frames by self time:');
    console.table(profile.topFrames);
    console.table(profile.byPackage);
  }
  console.log(
    `\nwritten ${runFile} and ${RUNS_LATEST} (${result.durationSeconds} s); ` +
      'npm run bench:promote makes it the tracked summary',
  );
}

main()
  .catch((error: unknown) => {
    process.exitCode = 1;
    log(`bench failed: ${error instanceof Error ? error.stack || error.message : String(error)}`);
  })
  .finally(() => void runCleanups());

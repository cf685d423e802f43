/**
 * Two gateway builds (or one build with two sets of variables) side by side on one route, on one
 * bench database and Redis, in alternating rounds: what a change costs or saves, as CPU per request
 * and req/s per round with the B/A ratio. Used to measure a change before keeping it.
 *
 *   cp -r dist /tmp/dist-before   # then change, npm run build
 *   node --import tsx bench/ab.ts --a /tmp/dist-before --b dist [--route payment|me|live]
 *     [--a-env '{"LOG_LEVEL":"warn"}'] [--b-env '{}'] [--rounds 3] [--duration 5] [--connections 20]
 *
 * A build copied outside the worktree resolves its packages from the worktree's node_modules
 * (NODE_PATH is set to it).
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { keyPrefix, runId as newRunId } from '../tools/harness';
import { cleanUpOnSignals, runCleanups } from './lib/cleanup';
import { createUser, login } from './lib/gateway';
import { benchGatewayEnv } from './lib/gateway-env';
import { alternate, cannon, Run } from './lib/load';
import { startHangingProvider } from './lib/provider';
import { cleanRedisPrefixOnExit, freshDatabase, ROOT, spawnServer } from './lib/servers';
import { ratioRange } from './lib/stats';

const ROUTES: Record<string, { path: () => string; status: number }> = {
  payment: { path: () => `/v1/payments/${randomUUID()}`, status: 404 },
  me: { path: () => '/v1/auth/me', status: 200 },
  live: { path: () => '/health/live', status: 200 },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      a: { type: 'string', default: 'dist' },
      b: { type: 'string', default: 'dist' },
      'a-env': { type: 'string', default: '{}' },
      'b-env': { type: 'string', default: '{}' },
      route: { type: 'string', default: 'payment' },
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '20' },
    },
  });
  const route = ROUTES[values.route];
  if (!route) throw new Error(`--route must be one of ${Object.keys(ROUTES).join(', ')}`);
  cleanUpOnSignals();
  const runId = newRunId();
  const database = await freshDatabase(runId);
  const prefix = keyPrefix('gwbench', runId);
  cleanRedisPrefixOnExit(prefix);
  const provider = await startHangingProvider();
  const base = benchGatewayEnv({ databaseUrl: database.url, prefix, providerUrl: provider.url, logLevel: 'info' });
  const start = async (label: 'a' | 'b') =>
    spawnServer({
      label: `gateway ${label}`,
      script: join(resolve(ROOT, values[label]), 'main.js'),
      env: {
        ...base,
        ...(JSON.parse(values[`${label}-env`]) as Record<string, string>),
        NODE_PATH: join(ROOT, 'node_modules'),
      },
      readyPath: '/health/ready',
    });
  const a = await start('a');
  const b = await start('b');
  const user = await createUser(database.url, { email: `ab-${runId}@bench.invalid` });
  const { accessToken } = await login(a.url, user);
  const path = route.path();
  const variant =
    (server: typeof a) =>
    (duration = Number(values.duration)): Promise<Run> =>
      cannon(
        {
          url: server.url + path,
          headers: { authorization: `Bearer ${accessToken}` },
          connections: Number(values.connections),
          duration,
          expectedStatus: route.status,
        },
        { cpuPid: server.pid },
      );
  const { runs, medians } = await alternate(
    { a: variant(a), b: variant(b) },
    {
      rounds: Number(values.rounds),
      warmupSeconds: Number(values.warmup),
      log: (line) => process.stderr.write(line + '\n'),
    },
  );
  const cpu = (run: Run): number => 1 / (run.serverCpuMicrosPerRequest ?? NaN);
  console.log(JSON.stringify({ route: values.route, a: values.a, b: values.b, medians }, null, 1));
  console.log(`b/a req/s ${JSON.stringify(ratioRange(runs, 'b', 'a'))}`);
  console.log(`b/a by CPU (a's CPU / b's) ${JSON.stringify(ratioRange(runs, 'b', 'a', cpu))}`);
}

main()
  .catch((error: unknown) => {
    process.exitCode = 1;
    process.stderr.write(`ab failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  })
  .finally(() => void runCleanups());

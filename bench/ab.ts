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
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { alternate, Run } from './lib/load';
import { benchRoute, prepareRouteBench, runBenchCommand, signedInRouteLoad } from './lib/route-bench';
import { ROOT, spawnServer } from './lib/servers';
import { ratioRange } from './lib/stats';

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
  const route = benchRoute(values.route);
  const bench = await prepareRouteBench();
  const start = async (label: 'a' | 'b') =>
    spawnServer({
      label: `gateway ${label}`,
      script: join(resolve(ROOT, values[label]), 'main.js'),
      env: {
        ...bench.env,
        ...(JSON.parse(values[`${label}-env`]) as Record<string, string>),
        NODE_PATH: join(ROOT, 'node_modules'),
      },
      readyPath: '/health/ready',
    });
  const a = await start('a');
  const b = await start('b');
  const { load } = await signedInRouteLoad(bench, a.url, 'ab', route);
  const variant =
    (server: typeof a) =>
    (duration = Number(values.duration)): Promise<Run> =>
      load(server, Number(values.connections))(duration);
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

runBenchCommand('ab', main);

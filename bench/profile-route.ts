/**
 * Where one route's CPU goes, stage by stage: starts the built gateway (and, with --floor, the
 * node:http floor) under `node --cpu-prof` on a fresh bench database, loads one route with
 * autocannon, keeps only the samples taken during the load (not boot, not shutdown), and prints
 * the CPU per request of each stage (see REQUEST_STAGES in bench/lib/profile.ts). Profiles stay in
 * bench/results/profiles/<run id>/ (ignored by git; open them in Chrome DevTools or speedscope
 * for a flame graph).
 *
 *   npm run build && node --import tsx bench/profile-route.ts [--route payment|me|live]
 *     [--seconds 10] [--connections 20] [--floor] [--gateway-env '{"LOG_LEVEL":"warn"}']
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Run } from './lib/load';
import { newestProfile, readProfile, sliceProfile, stageShares, topFrames } from './lib/profile';
import { benchRoute, prepareRouteBench, runBenchCommand, signedInRouteLoad } from './lib/route-bench';
import { GATEWAY_SCRIPT, ROOT, Server, spawnServer } from './lib/servers';
import { FLOOR } from './scenarios/peer';

async function profiled(
  server: Server,
  dir: string,
  load: () => Promise<Run>,
): Promise<{ run: Run; stages: ReturnType<typeof stageShares>; top: ReturnType<typeof topFrames>; file: string }> {
  const from = Number(process.hrtime.bigint() / 1000n);
  const run = await load();
  const to = Number(process.hrtime.bigint() / 1000n);
  await server.stop();
  const file = newestProfile(dir);
  if (!file) throw new Error(`no profile written under ${dir}`);
  const profile = sliceProfile(readProfile(file), from, to);
  return { run, stages: stageShares(profile), top: topFrames(profile, 20), file };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      route: { type: 'string', default: 'payment' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '20' },
      floor: { type: 'boolean', default: false },
      'gateway-env': { type: 'string', default: '{}' },
    },
  });
  const route = benchRoute(values.route);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const bench = await prepareRouteBench(JSON.parse(values['gateway-env']) as Record<string, string>);
  const { runId, env } = bench;
  const dirOf = (label: string): string => join(ROOT, 'bench/results/profiles', runId, label);
  const cpuProf = (label: string): string[] => ['--cpu-prof', `--cpu-prof-dir=${dirOf(label)}`];
  const gateway = await spawnServer({
    label: 'gateway',
    script: GATEWAY_SCRIPT,
    env,
    readyPath: '/health/ready',
    nodeArgs: cpuProf('gateway'),
  });
  const { path, load } = await signedInRouteLoad(bench, gateway.url, 'profile', route);
  const loadOf = (server: Server) => load(server, connections);
  const servers: Server[] = [gateway];
  if (values.floor) {
    if (values.route !== 'payment') throw new Error('the floor serves the payment read only');
    servers.push(
      await spawnServer({
        label: 'floor',
        script: FLOOR,
        env: { ...env, NODE_ENV: 'production' },
        readyPath: '/health/live',
        nodeArgs: cpuProf('floor'),
      }),
    );
  }
  for (const server of servers) {
    await loadOf(server)(2); // warm-up, outside the profiled window
    const { run, stages, top, file } = await profiled(server, dirOf(server.label), () => loadOf(server)(seconds));
    const cpu = run.serverCpuMicrosPerRequest ?? NaN;
    console.log(
      `\n${server.label} ${path.replace(/[0-9a-f-]{36}$/, ':id')}: ${run.requestsPerSecond} req/s, ${cpu} µs CPU/req ` +
        `(all threads), RSS ${run.serverRssMiB} MiB, unexpected answers ${run.unexpected}; profile ${file}`,
    );
    console.table(stages.map((s) => ({ ...s, microsPerRequest: Math.round((s.share / 100) * cpu) })));
    console.table(top);
  }
}

runBenchCommand('profile-route', main);

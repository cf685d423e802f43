/**
 * Bytes allocated and bytes promoted to V8's old generation per request, for one route, on one or
 * more builds in alternating rounds; with --sites, where they are allocated (V8's sampling heap
 * profiler, every object or only those that survived the scavenges). Each build runs as its own
 * gateway with bench/lib/gc-meter.ts loaded; each round measures one window of autocannon load.
 *
 * `--route refresh` runs refresh chains instead of autocannon: each of `--connections` workers
 * presents the refresh token its previous answer returned, on families logged in afresh before
 * each window (bench/lib/refresh-chain.ts, as scenario 4 does); figures are per refresh.
 *
 *   npm run build && node --import tsx bench/alloc.ts [--route payment|me|refresh] [--builds dist,/tmp/dist-before]
 *     [--rounds 3] [--seconds 10] [--connections 50] [--sites] [--interval 4096] [--profile-out /tmp/prefix]
 *     [--gateway-env '{"NAME":"value"}'] [--node-args '--flag ...']
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../tools/harness';
import { writeFileSync } from 'node:fs';
import { type GcWindow, sites } from './lib/allocation';
import { createUser } from './lib/gateway';
import type { Run } from './lib/load';
import { refreshChains } from './lib/refresh-chain';
import { benchRoute, prepareRouteBench, runBenchCommand, signedInRouteLoad } from './lib/route-bench';
import { ROOT, spawnServer, type Server } from './lib/servers';
import { median } from './lib/stats';
import { SOAK_CONNECTIONS } from './scenarios/soak';

function table(map: Map<string, number>, requests: number, top: number): Record<string, string | number>[] {
  const total = [...map.values()].reduce((a, b) => a + b, 0);
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([site, bytes]) => ({
      site: site.slice(0, 110),
      bytesPerRequest: Math.round(bytes / requests),
      share: `${((100 * bytes) / total).toFixed(1)}%`,
    }));
}

async function meter<T>(port: number, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' });
  const text = await response.text();
  if (!response.ok) throw new Error(`gc meter ${path}: ${text}`);
  return JSON.parse(text) as T;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      route: { type: 'string', default: 'payment' },
      builds: { type: 'string', default: 'dist' },
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: String(SOAK_CONNECTIONS) },
      sites: { type: 'boolean', default: false },
      interval: { type: 'string', default: '4096' },
      top: { type: 'string', default: '25' },
      'node-args': { type: 'string', default: '' },
      'profile-out': { type: 'string' },
      'gateway-env': { type: 'string', default: '{}' },
    },
  });
  const refresh = values.route === 'refresh';
  const route = refresh ? undefined : benchRoute(values.route);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const bench = await prepareRouteBench(JSON.parse(values['gateway-env']) as Record<string, string>);
  const builds = values.builds.split(',');
  const gateways: { build: string; server: Server; meterPort: number }[] = [];
  for (const [index, build] of builds.entries()) {
    const meterPort = await freePort();
    const server = await spawnServer({
      label: `gateway ${index}`,
      script: join(resolve(ROOT, build), 'main.js'),
      env: { ...bench.env, NODE_PATH: join(ROOT, 'node_modules'), GC_METER_PORT: String(meterPort) },
      readyPath: '/health/ready',
      nodeArgs: [
        ...values['node-args'].split(' ').filter(Boolean),
        '--import',
        'tsx',
        '--import',
        join(ROOT, 'bench/lib/gc-meter.ts'),
      ],
    });
    gateways.push({ build, server, meterPort });
  }
  const first = gateways[0];
  if (!first) throw new Error('--builds names no build');
  // A window's load, ready to run: whatever it needs first (refresh: fresh families) happens outside it.
  type Prepare = (server: Server, connections: number) => Promise<(duration: number) => Promise<Run>>;
  let prepare: Prepare;
  const failures: Record<string, number> = {};
  if (route) {
    const { load } = await signedInRouteLoad(bench, first.server.url, 'alloc', route);
    prepare = (server, n) => Promise.resolve(load(server, n));
  } else {
    const user = await createUser(bench.databaseUrl, { email: `alloc-${bench.runId}@bench.invalid` });
    prepare = async (server, n) =>
      (await refreshChains({ gatewayUrl: server.url, user, concurrency: n, cpuPid: server.pid, failures })).run;
  }
  const measure = async (
    gateway: (typeof gateways)[number],
    query: string,
  ): Promise<{ run: Run; window: GcWindow }> => {
    const load = await prepare(gateway.server, connections);
    await meter(gateway.meterPort, `/start${query}`);
    const run = await load(seconds);
    const window = await meter<GcWindow>(gateway.meterPort, '/stop');
    return { run, window };
  };
  for (const gateway of gateways) await (await prepare(gateway.server, connections))(3); // warm-up
  const rows: Record<
    string,
    { allocated: number[]; promoted: number[]; pretenured: number[]; gc: number[]; cpu: number[] }
  > = {};
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    for (const gateway of order) {
      const { run, window } = await measure(gateway, '');
      const row = (rows[gateway.build] ??= { allocated: [], promoted: [], pretenured: [], gc: [], cpu: [] });
      row.allocated.push(window.allocated / run.total);
      row.promoted.push(window.promoted / run.total);
      row.pretenured.push(window.pretenured / run.total);
      row.gc.push(window.pauseMicros / run.total);
      row.cpu.push(run.serverCpuMicrosPerRequest ?? NaN);
      process.stderr.write(
        `  round ${round + 1} ${gateway.build}: ${run.requestsPerSecond} req/s, ` +
          `${Math.round(window.allocated / run.total)} B allocated/req, ${Math.round(window.promoted / run.total)} B promoted/req, ${Math.round(window.pretenured / run.total)} B pretenured/req, ` +
          `GC pause ${(window.pauseMicros / run.total).toFixed(1)} µs/req, CPU ${run.serverCpuMicrosPerRequest} µs/req, ` +
          `collections ${JSON.stringify(window.counts)}, unexpected ${run.unexpected ?? run.non2xx}\n`,
      );
    }
  }
  const range = (list: number[]): string =>
    `${Math.round(median(list))} (${Math.round(Math.min(...list))}-${Math.round(Math.max(...list))})`;
  if (Object.keys(failures).length > 0) console.log(`refused refreshes by status: ${JSON.stringify(failures)}`);
  console.log(`\n${values.route}, ${connections} connections, ${seconds} s windows, median (min-max):`);
  console.table(
    Object.entries(rows).map(([build, row]) => ({
      build,
      allocatedBytesPerRequest: range(row.allocated),
      promotedBytesPerRequest: range(row.promoted),
      pretenuredBytesPerRequest: range(row.pretenured),
      gcPauseMicrosPerRequest: range(row.gc),
      cpuMicrosPerRequest: range(row.cpu),
    })),
  );
  if (!values.sites) return;
  const top = Number(values.top);
  for (const gateway of gateways) {
    for (const kind of ['all', 'survivors']) {
      const { run, window } = await measure(gateway, `?sites=${kind}&interval=${values.interval}`);
      if (!window.profile) continue;
      if (values['profile-out']) {
        const file = `${values['profile-out']}-${gateways.indexOf(gateway)}-${kind}.json`;
        writeFileSync(file, JSON.stringify({ requests: run.total, head: window.profile }));
        console.log(`\n(the sampling profile, ${run.total} requests: ${file})`);
      }
      const { self, own } = sites(window.profile, resolve(ROOT, gateway.build));
      console.log(`\n${gateway.build}: ${kind === 'all' ? 'every allocation' : 'objects that survived the scavenges'}`);
      console.log('by innermost frame:');
      console.table(table(self, run.total, top));
      console.log('by the innermost gateway frame on the stack (generated Prisma client excluded):');
      console.table(table(own, run.total, top));
    }
  }
}

runBenchCommand('alloc', main);

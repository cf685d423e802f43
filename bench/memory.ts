/**
 * Where one gateway's memory goes: starts the built gateway (`--heapsnapshot-signal`) on a fresh
 * bench database, takes a V8 heap snapshot after boot (and one login) and another during the soak
 * load (`GET /v1/payments/:id`, 404, at 50 connections), reads its RSS (anonymous and file-backed,
 * and split by mapping from /proc/<pid>/smaps: bench/lib/smaps.ts) beside each, and charges every
 * live byte of each snapshot to one owner: the nearest node on its dominator chain that is a
 * loaded module (by package), a script's code, or a known object (Nest's container, the Prisma
 * client, the identity cache, prom-client's registry, pino). Snapshots and the raw smaps stay in
 * bench/results/heap/<run id>/ (ignored by git; open the snapshots in Chrome DevTools).
 *
 *   npm run build && node --max-old-space-size=4096 --import tsx bench/memory.ts [--seconds 60]
 *     [--connections 50] [--gateway-env '{"LD_PRELOAD":"","MALLOC_CONF":""}'] [--node-args '--max-semi-space-size=4']
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, keyPrefix, runId as newRunId } from '../tools/harness';
import { cleanUpOnSignals, runCleanups } from './lib/cleanup';
import { createUser, login } from './lib/gateway';
import { benchGatewayEnv } from './lib/gateway-env';
import {
  dominators,
  nameOf,
  property,
  readHeapSnapshot,
  splitByOwner,
  typeOf,
  type HeapGraph,
} from './lib/heap-snapshot';
import { cannon } from './lib/load';
import { startHangingProvider } from './lib/provider';
import { smapsSplitMiB } from './lib/smaps';
import { cleanRedisPrefixOnExit, freshDatabase, GATEWAY_SCRIPT, ROOT, spawnServer } from './lib/servers';
import { SOAK_CONNECTIONS } from './scenarios/soak';

const MiB = 1024 * 1024;

/** VmRSS, RssAnon and RssFile of a process, in MiB. */
function residentMiB(pid: number): Record<string, number> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Math.round(Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]) / 102.4) / 10;
  return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

/** Owner of a loaded file: its npm package, or "gateway (dist)" / "node core". */
export function packageOf(file: string): string {
  const at = file.lastIndexOf('node_modules/');
  if (at >= 0) {
    const parts = file.slice(at + 'node_modules/'.length).split('/');
    const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? file);
    return name.startsWith('.prisma') || name === '@prisma/client' ? 'prisma client' : name;
  }
  if (file.includes('/dist/generated/prisma/')) return 'prisma client';
  if (file.includes('/dist/')) return 'gateway (dist)';
  if (file.startsWith('node:') || !file.includes('/')) return 'node core';
  return file;
}

/** Objects that own what hangs under them, whatever module made them. */
const NAMED_OWNERS: Record<string, string> = {
  NestContainer: 'nest module graph',
  IdentityCache: 'identity cache',
  Registry: 'prom-client registry',
  PrismaService: 'prisma client',
  PrismaClient: 'prisma client',
  PrismaPg: 'prisma client',
  Pino: 'pino',
};

/** A script node is named by its file. */
function isScript(graph: HeapGraph, node: number): boolean {
  if (typeOf(graph, node) !== 'code') return false;
  const name = nameOf(graph, node);
  return name.startsWith('/') || name.startsWith('node:') || name.startsWith('file:');
}

/** The file a function was compiled from (closure -> shared function info -> its script). */
function scriptFileOf(graph: HeapGraph, closure: number): string | undefined {
  const shared = property(graph, closure, 'shared');
  if (shared === undefined) return undefined;
  for (let e = graph.firstEdge[shared] ?? 0; e < (graph.firstEdge[shared + 1] ?? 0); e += 1) {
    const to = graph.edgeTo[e] ?? 0;
    if (isScript(graph, to)) return nameOf(graph, to);
  }
  return undefined;
}

/**
 * Owner of what a node dominates: a known object by its class name; a loaded module by its file;
 * a function, and an object of a class, by the file that defined it (so a Fastify instance is
 * fastify's, a pool is pg's); a script's source and code by its file.
 */
function anchorOf(graph: HeapGraph): (node: number) => string | undefined {
  return (node) => {
    const name = nameOf(graph, node);
    const type = typeOf(graph, node);
    if (type === 'object') {
      const named = NAMED_OWNERS[name];
      if (named) return named;
      if (name === 'Module') {
        const file = property(graph, node, 'filename');
        if (file !== undefined) return packageOf(nameOf(graph, file));
      }
      const map = property(graph, node, 'map');
      const constructor = map === undefined ? undefined : property(graph, map, 'constructor');
      const file = constructor === undefined ? undefined : scriptFileOf(graph, constructor);
      if (file) return packageOf(file);
    }
    if (type === 'closure') {
      const file = scriptFileOf(graph, node);
      if (file) return packageOf(file);
    }
    if (isScript(graph, node)) return packageOf(name);
    // Prisma's query compiler (WebAssembly), embedded in its runtime as a base64 string.
    if (type === 'string' && name.startsWith('AGFzbQ')) return 'prisma query compiler (wasm, base64)';
    return undefined;
  };
}

function analyse(file: string): void {
  const graph = readHeapSnapshot(file);
  const { idom, order } = dominators(graph);
  const split = splitByOwner(graph, idom, order, anchorOf(graph), (node) => `unowned ${typeOf(graph, node)}`);
  const total = [...split.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${file}: ${(total / MiB).toFixed(1)} MiB live in ${order.length} reachable objects`);
  console.table(
    [...split.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 30)
      .map(([owner, bytes]) => ({
        owner,
        MiB: Math.round((bytes / MiB) * 10) / 10,
        share: `${((bytes / total) * 100).toFixed(1)} %`,
      })),
  );
}

/** The V8 heap as prom-client's default metrics see it (committed per space, used, external), in MiB. */
async function heapSpacesMiB(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match =
      /^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/.exec(line) ??
      /^nodejs_(heap_size_total|heap_size_used|external_memory)_bytes (\S+)$/.exec(line);
    if (match?.[1] && match[2]) out[match[1]] = Math.round(Number(match[2]) / 104857.6) / 10;
  }
  return out;
}

/**
 * Where the RSS is, by mapping (/proc/<pid>/smaps, see bench/lib/smaps.ts), beside V8's committed
 * heap by space; the raw smaps is kept in `dir` as <label>-<point>.smaps.
 */
function printSplit(pid: number, label: string, point: string, heap: Record<string, number>, dir: string): void {
  writeFileSync(join(dir, `${label.replace(/\W+/g, '-')}-${point}.smaps`), readFileSync(`/proc/${pid}/smaps`));
  const split = smapsSplitMiB(pid);
  const v8Anon = ['new', 'old', 'large_object', 'new_large_object', 'read_only', 'shared', 'shared_large_object']
    .map((space) => heap[space] ?? 0)
    .reduce((a, b) => a + b, 0);
  const other = split['other anonymous (V8 heap pages, glibc mmap blocks)'];
  console.log(`${label}, ${point}: RSS by mapping (MiB)`);
  console.table({
    ...Object.fromEntries(Object.entries(split).map(([group, mib]) => [group, { MiB: mib }])),
    'V8 committed: new space': { MiB: heap.new ?? NaN },
    'V8 committed: old space': { MiB: heap.old ?? NaN },
    'V8 committed: code space': { MiB: heap.code ?? NaN },
    'V8 committed: large object spaces': {
      MiB:
        Math.round(((heap.large_object ?? 0) + (heap.new_large_object ?? 0) + (heap.code_large_object ?? 0)) * 10) / 10,
    },
    'other anonymous beyond V8 committed (glibc mmap blocks, native)': { MiB: Math.round((other - v8Anon) * 10) / 10 },
  });
}

/** Sends SIGWINCH and waits until a new, complete snapshot is in `dir`. */
async function snapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGWINCH');
  for (;;) {
    await sleep(500);
    const fresh = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!fresh) continue;
    const path = join(dir, fresh);
    const size = statSync(path).size;
    await sleep(1000);
    if (statSync(path).size === size && size > 0) return path;
  }
}

interface Setup {
  env: Record<string, string | undefined>;
  nodeArgs: string[];
  databaseUrl: string;
  runId: string;
  dir: string;
  seconds: number;
  connections: number;
}

/**
 * One gateway: RSS and V8 heap after boot (and one login), then under the load (RSS every second,
 * heap at two thirds). With `snapshots`, a heap snapshot at both points; writing one allocates
 * native memory that glibc keeps, so the RSS figures of that gateway are not the ones to quote.
 */
async function measure(setup: Setup, label: string, snapshots: boolean): Promise<string[]> {
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const gateway = await spawnServer({
    label,
    script: GATEWAY_SCRIPT,
    env: { ...setup.env, METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' },
    readyPath: '/health/ready',
    nodeArgs: [
      ...(snapshots ? ['--heapsnapshot-signal=SIGWINCH', `--diagnostic-dir=${setup.dir}`] : []),
      ...setup.nodeArgs,
    ],
  });
  const files: string[] = [];
  const user = await createUser(setup.databaseUrl, { email: `memory-${label}-${setup.runId}@bench.invalid` });
  const { accessToken } = await login(gateway.url, user);
  await sleep(3000);
  const boot = residentMiB(gateway.pid);
  const bootHeap = await heapSpacesMiB(metricsUrl);
  console.log(`${label}: after boot and one login: RSS ${JSON.stringify(boot)} MiB, V8 ${JSON.stringify(bootHeap)}`);
  printSplit(gateway.pid, label, 'boot', bootHeap, setup.dir);
  if (snapshots) files.push(await snapshot(gateway.pid, setup.dir));
  const samples: number[] = [];
  const timer = setInterval(() => {
    try {
      samples.push(residentMiB(gateway.pid).rss ?? NaN);
    } catch {
      // the gateway is gone: the load reports it
    }
  }, 1000);
  const load = cannon(
    {
      url: `${gateway.url}/v1/payments/${randomUUID()}`,
      headers: { authorization: `Bearer ${accessToken}` },
      connections: setup.connections,
      duration: setup.seconds,
    },
    { cpuPid: gateway.pid },
  );
  await sleep((setup.seconds * 2000) / 3);
  const loaded = residentMiB(gateway.pid);
  const loadedHeap = await heapSpacesMiB(metricsUrl);
  printSplit(gateway.pid, label, 'load', loadedHeap, setup.dir);
  if (snapshots) files.push(await snapshot(gateway.pid, setup.dir));
  const run = await load;
  clearInterval(timer);
  await gateway.stop();
  const late = samples.slice(Math.floor((samples.length * 2) / 3)).sort((a, b) => a - b);
  console.log(
    `${label}: under load (${setup.connections} connections, ${setup.seconds} s, ${run.requestsPerSecond} req/s, ` +
      `${run.serverCpuMicrosPerRequest} us CPU/req): RSS at 2/3 ${JSON.stringify(loaded)} MiB, V8 ${JSON.stringify(loadedHeap)}; ` +
      `RSS max ${Math.max(...samples)}, late median ${late[Math.floor(late.length / 2)]} MiB`,
  );
  return files;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      seconds: { type: 'string', default: '60' },
      connections: { type: 'string', default: String(SOAK_CONNECTIONS) },
      'gateway-env': { type: 'string', default: '{}' },
      'node-args': { type: 'string', default: '' },
      snapshots: { type: 'boolean', default: false },
      analyse: { type: 'string', multiple: true },
    },
  });
  if (values.analyse?.length) {
    for (const file of values.analyse) analyse(file);
    return;
  }
  cleanUpOnSignals();
  const runId = newRunId();
  const dir = join(ROOT, 'bench/results/heap', runId);
  mkdirSync(dir, { recursive: true });
  const database = await freshDatabase(runId);
  const prefix = keyPrefix('gwbench', runId);
  cleanRedisPrefixOnExit(prefix);
  const provider = await startHangingProvider();
  const setup: Setup = {
    env: benchGatewayEnv({
      databaseUrl: database.url,
      prefix,
      providerUrl: provider.url,
      logLevel: 'info',
      extra: JSON.parse(values['gateway-env']) as Record<string, string>,
    }),
    nodeArgs: values['node-args'].split(' ').filter(Boolean),
    databaseUrl: database.url,
    runId,
    dir,
    seconds: Number(values.seconds),
    connections: Number(values.connections),
  };
  await measure(setup, 'gateway', false);
  if (values.snapshots) {
    for (const file of await measure(setup, 'snapshotted gateway', true)) analyse(file);
  }
}

main()
  .catch((error: unknown) => {
    process.exitCode = 1;
    process.stderr.write(`memory failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  })
  .finally(() => runCleanups().then(() => process.exit()));

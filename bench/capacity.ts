/**
 * Capacity figures for docs/deployment.md, measured on the machine it runs on:
 *   CPU ms and Redis commands per request type for one built instance (node dist/main.js),
 *   its memory, and PostgreSQL server connections with two instances directly vs through
 *   PgBouncer (transaction mode, deploy/pgbouncer.ini).
 * Needs PostgreSQL (DATABASE_URL, default postgres@127.0.0.1:5432, reached as `postgres` on port
 * 5432 for PgBouncer), redis-server and pgbouncer on PATH, root (PgBouncer runs as `postgres`), and
 * a build (npm run build). Prints JSON.
 *
 *   node --import tsx bench/capacity.ts [requests-per-type]      (default 200)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import {
  createDatabase,
  createRuntimeLogin,
  DEFAULT_ADMIN_DATABASE_URL,
  dropDatabase,
  dropRole,
  freePort,
  ManagedProcess,
  migrate,
  PrivateRedis,
  randomToken,
  ROOT,
  runtimeUrl,
  RuntimeLogin,
  startProcess,
  stopAll,
  withClient,
} from '../tools/harness';
import { cpuMicros } from './lib/load';

const BASE = process.env.DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL;

/** `BASE` pointed at database `name`, as `user`, on `port` (PostgreSQL itself, or PgBouncer). */
function dbUrl(name: string, user = 'postgres', port = 5432): string {
  const u = new URL(BASE);
  u.pathname = `/${name}`;
  u.username = user;
  u.port = String(port);
  return u.toString();
}

async function sql<Row extends object = Record<string, unknown>>(url: string, text: string): Promise<Row[]> {
  return withClient(url, async (c) => (await c.query<Row>(text)).rows);
}

const cpuMs = (pid: number): number => (cpuMicros(pid) ?? NaN) / 1000;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1]) / 1024);
}

interface Instance {
  process: ManagedProcess;
  url: string;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startProcess({
    name: 'gateway',
    command: process.execPath,
    args: [join(ROOT, 'dist/main.js')],
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1' },
    discardStdout: true,
    ready: { probe: async () => (await fetch(`${url}/health/live`)).ok },
    timeoutMs: 60_000,
  });
  return { process: child, url };
}

/** Runs `make()` n times at concurrency `c`; returns the statuses seen. */
async function drive(
  n: number,
  c: number,
  make: (i: number, worker: number) => Promise<Response>,
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async (_, worker) => {
      while (next < n) {
        const i = next++;
        const res = await make(i, worker);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        await res.arrayBuffer();
      }
    }),
  );
  return statuses;
}

function requestsPerType(): number {
  const { positionals } = parseArgs({ allowPositionals: true, strict: true, options: {} });
  const n = Number(positionals[0] ?? 200);
  if (positionals.length > 1 || !Number.isInteger(n) || n < 1) {
    throw new Error('usage: node --import tsx bench/capacity.ts [requests-per-type]');
  }
  return n;
}

async function main(): Promise<void> {
  const N = requestsPerType();
  const started: (ManagedProcess | undefined)[] = [];
  const db = `gw_capacity_${Date.now().toString(36)}`;
  await createDatabase(dbUrl('postgres'), db);
  const redisPassword = randomToken();
  let redis: PrivateRedis | undefined;
  let monitor: Redis | undefined;
  let role: string | undefined;
  let runtime: RuntimeLogin | undefined;
  const dir = mkdtempSync(join(os.tmpdir(), 'gw-cap-pgb-'));
  try {
    await migrate(dbUrl(db));
    // Production refuses the owner: the gateway runs as a login role in gateway_runtime.
    runtime = await createRuntimeLogin(dbUrl('postgres'), `gw_cap_rt_${randomBytes(3).toString('hex')}`);
    redis = await PrivateRedis.start({ password: redisPassword });
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: runtimeUrl(dbUrl(db), runtime),
      // Production mode wants credentials on Redis: the private server's password.
      REDIS_URL: `redis://default:${encodeURIComponent(redisPassword)}@127.0.0.1:${redis.port}`,
      JWT_ACCESS_SECRET: randomToken(),
      REFRESH_TOKEN_PEPPER: randomToken(),
      PAYMENT_PROVIDER_URL: 'http://127.0.0.1:9',
      PAYMENT_PROVIDER_API_KEY: randomToken(24),
      RATE_LIMIT_GLOBAL_LIMIT: '1000000',
      RATE_LIMIT_AUTH_LIMIT: '1000000',
      LOCKOUT_THRESHOLD: '1000',
    };
    // One connection for the counts: each INFO is one command of its own, subtracted below.
    monitor = new Redis(redis.url(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await monitor.connect();
    const info = monitor;
    const commands = async (): Promise<number> =>
      Number(/total_commands_processed:(\d+)/.exec(await info.info('stats'))?.[1]);

    const email = `capacity-${randomUUID()}@example.test`;
    const password = randomToken(18);
    execFileSync(
      process.execPath,
      [join(ROOT, 'dist/features/users/cli/create-user.js'), '--email', email, '--role', 'user'],
      {
        env: { PATH: process.env.PATH, ...env },
        input: `${password}\n`,
        stdio: ['pipe', 'ignore', 'inherit'],
      },
    );

    const gw = await startInstance(env);
    started.push(gw.process);
    const pid = gw.process.pid;
    const json = { 'content-type': 'application/json' };
    const loginOnce = (): Promise<Response> =>
      fetch(`${gw.url}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    const first = (await (await loginOnce()).json()) as { accessToken: string };
    const token = first.accessToken;
    // Refresh chains: one family per worker, each request presents the token the last one returned.
    const C = 8;
    const chains = await Promise.all(
      Array.from(
        { length: C },
        async () => ((await (await loginOnce()).json()) as { refreshToken: string }).refreshToken,
      ),
    );

    const types: Record<string, (i: number, worker: number) => Promise<Response>> = {
      'GET /health/live': () => fetch(`${gw.url}/health/live`),
      'GET /health/ready (cache 1 s)': () => fetch(`${gw.url}/health/ready`),
      'GET /v1/auth/me': () => fetch(`${gw.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } }),
      'GET /v1/payments/:id (404)': () =>
        fetch(`${gw.url}/v1/payments/${randomUUID()}`, { headers: { authorization: `Bearer ${token}` } }),
      'POST /v1/auth/refresh': async (_i, worker) => {
        const res = await fetch(`${gw.url}/v1/auth/refresh`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ refreshToken: chains[worker] }),
        });
        const body = (await res.clone().json()) as { refreshToken: string };
        chains[worker] = body.refreshToken;
        return res;
      },
      'POST /v1/auth/login (wrong password)': () =>
        fetch(`${gw.url}/v1/auth/login`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ email: `nobody-${randomUUID()}@example.test`, password: 'wrong-password-123' }),
        }),
      'POST /v1/auth/login': () => loginOnce(),
    };
    // Warm up every route.
    for (const make of Object.values(types)) await drive(20, 4, make);
    const rows = [];
    for (const [name, make] of Object.entries(types)) {
      const n = name.includes('login') ? Math.max(40, Math.round(N / 5)) : N;
      const cpu0 = cpuMs(pid);
      const redis0 = await commands();
      const t0 = Date.now();
      const statuses = await drive(n, C, make);
      const wallMs = Date.now() - t0;
      const cpu = cpuMs(pid) - cpu0;
      const redisPerRequest = ((await commands()) - redis0 - 1) / n;
      rows.push({
        name,
        n,
        statuses,
        cpuMsPerRequest: +(cpu / n).toFixed(2),
        perCoreSecond: Math.round((1000 * n) / cpu),
        redisPerRequest: +redisPerRequest.toFixed(2),
        wallRps: Math.round((1000 * n) / wallMs),
      });
    }
    const rssAfter = rssMb(pid);

    // Connections, directly: one instance under load holds up to DB_POOL_MAX server connections.
    const connectionsOf = async (role: string): Promise<number> =>
      Number(
        (
          await sql<{ n: string }>(
            dbUrl(db),
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND usename = '${role}' AND pid <> pg_backend_pid()`,
          )
        )[0]?.n,
      );
    const paymentNotFound = types['GET /v1/payments/:id (404)'];
    if (!paymentNotFound) throw new Error('no load type for the payment read');
    await drive(400, 40, paymentNotFound);
    const direct = await connectionsOf(runtime.role);
    await gw.process.stop();

    // Through PgBouncer: two instances x DB_POOL_MAX=10 clients, pool of 4 server connections.
    role = `gw_cap_${randomBytes(3).toString('hex')}`;
    await sql(
      dbUrl(db),
      `CREATE ROLE "${role}" LOGIN; GRANT gateway_runtime TO "${role}";
      ALTER ROLE "${role}" SET statement_timeout = '5000ms';
      ALTER ROLE "${role}" SET idle_in_transaction_session_timeout = '10000ms'`,
    );
    const bouncerPort = await freePort();
    writeFileSync(join(dir, 'users.txt'), `"${role}" ""\n`);
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      readFileSync(join(ROOT, 'deploy/pgbouncer.ini'), 'utf8')
        .replaceAll('{{PG_PORT}}', '5432')
        .replaceAll('{{PORT}}', String(bouncerPort))
        .replaceAll('{{AUTH_TYPE}}', 'trust')
        .replaceAll('{{AUTH_FILE}}', join(dir, 'users.txt'))
        .replaceAll('{{POOL_SIZE}}', '4'),
    );
    execFileSync('chown', ['-R', 'postgres', dir]);
    const bouncer = await startProcess({
      name: 'pgbouncer',
      command: 'pgbouncer',
      args: ['-u', 'postgres', join(dir, 'pgbouncer.ini')],
      ready: { output: /process up|listening on/i },
      timeoutMs: 15_000,
    });
    started.push(bouncer);
    const pooledEnv = { ...env, DATABASE_URL: dbUrl(db, role, bouncerPort), DB_POOL_MODE: 'transaction' };
    const pair = [await startInstance(pooledEnv), await startInstance(pooledEnv)] as const;
    started.push(...pair.map((p) => p.process));
    const pooledRole = role;
    let maxServer = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxServer = Math.max(maxServer, await connectionsOf(pooledRole));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const pooledStatuses = await drive(1000, 40, (i) =>
      fetch(`${(i % 2 ? pair[1] : pair[0]).url}/v1/payments/${randomUUID()}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    sampling = false;
    await sampler;
    const rssPair = pair.map((p) => rssMb(p.process.pid));

    const result = {
      at: new Date().toISOString(),
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((x) => +x.toFixed(1)),
      requestsPerType: N,
      concurrency: C,
      rows,
      rssMbAfterLoad: rssAfter,
      rssMbPooledInstances: rssPair,
      directServerConnectionsOneInstance: direct,
      pooled: {
        instances: 2,
        dbPoolMax: 10,
        pgbouncerPoolSize: 4,
        maxServerConnections: maxServer,
        statuses: pooledStatuses,
      },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    monitor?.disconnect();
    await stopAll(started);
    await redis?.destroy();
    rmSync(dir, { recursive: true, force: true });
    if (role) await sql(dbUrl(db), `DROP OWNED BY "${role}"; DROP ROLE "${role}"`).catch(() => undefined);
    await dropDatabase(dbUrl('postgres'), db);
    if (runtime) await dropRole(dbUrl('postgres'), runtime.role);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);

#!/usr/bin/env node
/**
 * Capacity figures for docs/deployment.md, measured on the machine it runs on:
 *   CPU ms and Redis commands per request type for one built instance (node dist/main.js),
 *   its memory, and PostgreSQL server connections with two instances directly vs through
 *   PgBouncer (transaction mode, deploy/pgbouncer.ini).
 * Needs PostgreSQL (DATABASE_URL, default postgres@127.0.0.1:5432), redis-server and pgbouncer
 * on PATH, and a build (npm run build). Usage: node bench/capacity.js [requests-per-type]
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');

const ROOT = path.join(__dirname, '..');
const N = Number(process.argv[2] ?? 200);
const BASE = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CLK_TCK = 100;
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secret = (n = 32) => randomBytes(n).toString('base64url');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function dbUrl(name, user = 'postgres', port = 5432) {
  const u = new URL(BASE);
  u.pathname = `/${name}`;
  u.username = user;
  u.port = String(port);
  return u.toString();
}
async function sql(url, text) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}
function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime + stime
}
function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m[1]) / 1024);
}

async function startInstance(env, port) {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`instance exited: ${err}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.ok, () => false);
    if (ok) return { child, url: `http://127.0.0.1:${port}` };
    await sleep(100);
  }
  throw new Error('instance did not start');
}

/** Runs `make()` N times at concurrency `c`; returns the statuses seen. */
async function drive(n, c, make) {
  const statuses = {};
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

async function main() {
  const db = `gw_capacity_${Date.now().toString(36)}`;
  await sql(dbUrl('postgres'), `CREATE DATABASE "${db}"`);
  execFileSync(path.join(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: dbUrl(db) },
    stdio: 'ignore',
  });
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.push(redis);
  await sleep(500);
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: dbUrl(db),
    REDIS_URL: `redis://default:${secret()}@127.0.0.1:${redisPort}`,
    JWT_ACCESS_SECRET: secret(),
    REFRESH_TOKEN_PEPPER: secret(),
    PAYMENT_PROVIDER_URL: 'http://127.0.0.1:9',
    PAYMENT_PROVIDER_API_KEY: secret(24),
    RATE_LIMIT_GLOBAL_LIMIT: '1000000',
    RATE_LIMIT_AUTH_LIMIT: '1000000',
    LOCKOUT_THRESHOLD: '1000',
  };
  // Production mode wants credentials on Redis: give the private server the URL's password.
  execFileSync('redis-cli', ['-p', String(redisPort), 'CONFIG', 'SET', 'requirepass', new URL(env.REDIS_URL).password]);
  const redisCli = (args) =>
    execFileSync('redis-cli', ['-p', String(redisPort), '--no-auth-warning', '-a', new URL(env.REDIS_URL).password, ...args]).toString();
  const commands = () => Number(/total_commands_processed:(\d+)/.exec(redisCli(['INFO', 'stats']))[1]);

  const email = `capacity-${randomUUID()}@example.test`;
  const password = secret(18);
  execFileSync(process.execPath, [path.join(ROOT, 'dist/users/cli/create-user.js'), '--email', email, '--role', 'user'], {
    env: { PATH: process.env.PATH, ...env },
    input: `${password}\n`,
    stdio: ['pipe', 'ignore', 'inherit'],
  });

  const gw = await startInstance(env, await freePort());
  const pid = gw.child.pid;
  const json = { 'content-type': 'application/json' };
  const loginOnce = () =>
    fetch(`${gw.url}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
  const first = await (await loginOnce()).json();
  const token = first.accessToken;
  // Refresh chains: one family per worker, each request presents the token the last one returned.
  const C = 8;
  const chains = await Promise.all(Array.from({ length: C }, async () => (await (await loginOnce()).json()).refreshToken));

  const types = {
    'GET /health/live': () => fetch(`${gw.url}/health/live`),
    'GET /health/ready (cache 1 s)': () => fetch(`${gw.url}/health/ready`),
    'GET /v1/auth/me': () => fetch(`${gw.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } }),
    'GET /v1/payments/:id (404)': () =>
      fetch(`${gw.url}/v1/payments/${randomUUID()}`, { headers: { authorization: `Bearer ${token}` } }),
    'POST /v1/auth/refresh': async (_i, worker) => {
      const slot = worker;
      const res = await fetch(`${gw.url}/v1/auth/refresh`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ refreshToken: chains[slot] }),
      });
      const body = await res.clone().json();
      chains[slot] = body.refreshToken;
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
    const redis0 = commands();
    const t0 = Date.now();
    const statuses = await drive(n, C, make);
    const wallMs = Date.now() - t0;
    const cpu = cpuMs(pid) - cpu0;
    const redisPerRequest = (commands() - redis0 - 1) / n;
    rows.push({ name, n, statuses, cpuMsPerRequest: +(cpu / n).toFixed(2), perCoreSecond: Math.round((1000 * n) / cpu), redisPerRequest: +redisPerRequest.toFixed(2), wallRps: Math.round((1000 * n) / wallMs) });
  }
  const rssAfter = rssMb(pid);

  // Connections, directly: one instance under load holds up to DB_POOL_MAX server connections.
  const connectionsOf = async (role) =>
    Number((await sql(dbUrl(db), `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND usename = '${role}' AND pid <> pg_backend_pid()`))[0].n);
  await drive(400, 40, types['GET /v1/payments/:id (404)']);
  const direct = await connectionsOf('postgres');
  gw.child.kill('SIGTERM');

  // Through PgBouncer: two instances x DB_POOL_MAX=10 clients, pool of 4 server connections.
  const role = `gw_cap_${randomBytes(3).toString('hex')}`;
  await sql(dbUrl(db), `CREATE ROLE "${role}" LOGIN; GRANT USAGE ON SCHEMA public TO "${role}";
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${role}";
    ALTER ROLE "${role}" SET statement_timeout = '5000ms';
    ALTER ROLE "${role}" SET idle_in_transaction_session_timeout = '10000ms'`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-cap-pgb-'));
  const bouncerPort = await freePort();
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${role}" ""\n`);
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    fs.readFileSync(path.join(ROOT, 'deploy/pgbouncer.ini'), 'utf8')
      .replaceAll('{{PG_PORT}}', '5432').replaceAll('{{PORT}}', String(bouncerPort)).replaceAll('{{AUTH_TYPE}}', 'trust')
      .replaceAll('{{AUTH_FILE}}', path.join(dir, 'users.txt')).replaceAll('{{POOL_SIZE}}', '4'),
  );
  execFileSync('chown', ['-R', 'postgres', dir]);
  const bouncer = spawn('pgbouncer', ['-u', 'postgres', path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  children.push(bouncer);
  await sleep(1000);
  const pooledEnv = { ...env, DATABASE_URL: dbUrl(db, role, bouncerPort), DB_POOL_MODE: 'transaction' };
  const pair = [await startInstance(pooledEnv, await freePort()), await startInstance(pooledEnv, await freePort())];
  let maxServer = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxServer = Math.max(maxServer, await connectionsOf(role));
      await sleep(50);
    }
  })();
  const pooledStatuses = await drive(1000, 40, (i) =>
    fetch(`${pair[i % 2].url}/v1/payments/${randomUUID()}`, { headers: { authorization: `Bearer ${token}` } }),
  );
  sampling = false;
  await sampler;
  const rssPair = pair.map((p) => rssMb(p.child.pid));
  for (const p of pair) p.child.kill('SIGTERM');
  await sleep(1500);
  bouncer.kill('SIGTERM');
  await sleep(500);
  await sql(dbUrl(db), `DROP OWNED BY "${role}"; DROP ROLE "${role}"`).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
  await sql(dbUrl('postgres'), `DROP DATABASE "${db}" WITH (FORCE)`);

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
    pooled: { instances: 2, dbPoolMax: 10, pgbouncerPoolSize: 4, maxServerConnections: maxServer, statuses: pooledStatuses },
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.exit(0);
}
main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});

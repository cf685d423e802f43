#!/usr/bin/env node
'use strict';
/**
 * A fresh, throwaway gateway instance for DAST scans and the gate.
 *
 *   node scripts/instance.js start [--state-dir DIR]   prints KEY=value lines (eval-able)
 *   node scripts/instance.js stop  DIR [--keep-logs]   stops everything, drops the database, removes DIR
 *
 * `start` creates a new PostgreSQL database and migrates it, starts a private redis-server with a
 * random password (so NODE_ENV=production's credential rule holds), a stand-in payment provider,
 * and `node dist/main.js` on free 127.0.0.1 ports with random secrets and DOCS_ENABLED=true; then
 * creates a user and an admin (when the user:create CLI exists) and logs both in. Everything the
 * instance needs to be torn down (pids, database name, secrets for log checks) is written to
 * DIR/state.json with mode 0600; nothing is written inside the repository.
 *
 * Rate limits and the lockout threshold are raised on this instance (set SCAN_PRODUCTION_LIMITS=1
 * to keep the defaults) so that scanners reach the code instead of a wall of 429/423 answers; the
 * limits themselves are proven by their own test suites.
 */
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');

const ROOT = path.join(__dirname, '..');
const ADMIN_DATABASE_URL =
  process.env.SCAN_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const BASE_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const secret = (bytes = 48) => randomBytes(bytes).toString('base64url');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`instance: ${msg}\n`);

function databaseUrlFor(name) {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** `count` distinct free ports (all held open until every one is chosen, so none repeats). */
async function freePorts(count) {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const server = net.createServer();
          server.on('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function startDetached(command, args, env, logFile) {
  const out = fs.openSync(logFile, 'a', 0o600);
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', out, out], cwd: ROOT });
  child.unref();
  fs.closeSync(out);
  return child.pid;
}

async function waitFor(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

async function withAdminClient(fn) {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function writeState(dir, state) {
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

async function createUser(env, email, role, password) {
  const cli = path.join(ROOT, 'dist/users/cli/create-user.js');
  if (!fs.existsSync(cli)) return 'skipped: dist/users/cli/create-user.js does not exist';
  const run = spawnSync(process.execPath, [cli, '--email', email, '--role', role], {
    env,
    input: `${password}\n`,
    encoding: 'utf8',
    timeout: 30000,
  });
  return run.status === 0 ? 'created' : `failed (exit ${run.status}): ${(run.stderr || '').slice(0, 300)}`;
}

async function login(url, email, password) {
  const res = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) return { error: `login answered ${res.status}` };
  const body = await res.json();
  return { accessToken: body.accessToken, refreshToken: body.refreshToken };
}

async function start(stateDir) {
  const mainJs = path.join(ROOT, 'dist/main.js');
  if (!fs.existsSync(mainJs)) throw new Error('dist/main.js is missing: run `npm run build` first');
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dir = stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gw-instance-'));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const state = { id, dir, pids: {}, database: `gw_scan_${id}`, adminDatabaseUrl: ADMIN_DATABASE_URL };
  writeState(dir, state);
  try {
    await launch(dir, state, mainJs);
  } catch (error) {
    await stop(dir).catch(() => undefined);
    throw error;
  }
}

async function launch(dir, state, mainJs) {
  const { id } = state;
  const [redisPort, providerPort, port] = await freePorts(3);
  await withAdminClient((c) => c.query(`CREATE DATABASE "${state.database}"`));
  const databaseUrl = databaseUrlFor(state.database);
  const migrate = spawnSync(path.join(ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`prisma migrate deploy failed: ${migrate.stderr || migrate.stdout}`);
  log(`database ${state.database} created and migrated`);

  // Redis: a private password-protected server when redis-server exists, else the shared one.
  let redisUrl = BASE_REDIS_URL;
  let nodeEnv = 'production';
  if (spawnSync('redis-server', ['--version']).status === 0) {
    const redisPassword = secret(24);
    state.redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-instance-redis-'));
    const conf = path.join(state.redisDir, 'redis.conf');
    // The password goes in a 0600 config file, not on a command line other users could read.
    fs.writeFileSync(
      conf,
      `port ${redisPort}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir ${state.redisDir}\nrequirepass ${redisPassword}\n`,
      { mode: 0o600 },
    );
    state.pids.redis = startDetached('redis-server', [conf], process.env, path.join(dir, 'redis.log'));
    redisUrl = `redis://:${redisPassword}@127.0.0.1:${redisPort}`;
    await waitFor('redis-server', async () =>
      /Ready to accept/.test(fs.readFileSync(path.join(dir, 'redis.log'), 'utf8')),
    );
  } else if (!new URL(BASE_REDIS_URL).password) {
    nodeEnv = 'development';
    log('redis-server not found and REDIS_URL has no password: running with NODE_ENV=development');
  }
  writeState(dir, state);

  const providerKey = secret(32);
  state.pids.provider = startDetached(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'tools/provider/cli.ts')],
    { PATH: process.env.PATH, STUB_PROVIDER_PORT: String(providerPort), STUB_PROVIDER_API_KEY: providerKey },
    path.join(dir, 'provider.log'),
  );

  const lenient = process.env.SCAN_PRODUCTION_LIMITS !== '1';
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: nodeEnv,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    DOCS_ENABLED: 'true',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `gwscan:${id}:`,
    JWT_ACCESS_SECRET: secret(),
    REFRESH_TOKEN_PEPPER: secret(),
    PAYMENT_PROVIDER_URL: `http://127.0.0.1:${providerPort}`,
    PAYMENT_PROVIDER_API_KEY: providerKey,
    ...(lenient
      ? { RATE_LIMIT_GLOBAL_LIMIT: '1000000', RATE_LIMIT_AUTH_LIMIT: '1000000', LOCKOUT_THRESHOLD: '1000' }
      : {}),
  };
  state.pids.gateway = startDetached(process.execPath, [mainJs], env, path.join(dir, 'gateway.log'));
  state.url = `http://127.0.0.1:${port}`;
  state.secrets = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    JWT_ACCESS_SECRET: env.JWT_ACCESS_SECRET,
    REFRESH_TOKEN_PEPPER: env.REFRESH_TOKEN_PEPPER,
    PAYMENT_PROVIDER_API_KEY: providerKey,
  };
  writeState(dir, state);
  await waitFor('gateway', async () => (await fetch(`${state.url}/health/ready`)).status === 200);
  log(`gateway ready at ${state.url}`);

  state.users = {};
  for (const role of ['user', 'admin']) {
    const email = `scan-${role}-${id}@example.test`.toLowerCase();
    const password = secret(18);
    const created = await createUser(env, email, role, password);
    const entry = { email, password, created };
    if (created === 'created') Object.assign(entry, await login(state.url, email, password));
    state.users[role] = entry;
    log(`${role}: ${created}${entry.accessToken ? ', logged in' : entry.error ? `, ${entry.error}` : ''}`);
  }
  writeState(dir, state);

  const lines = {
    GW_INSTANCE_DIR: dir,
    SCAN_TARGET_URL: state.url,
    SCAN_BEARER_TOKEN: state.users.user.accessToken ?? '',
    SCAN_ADMIN_TOKEN: state.users.admin.accessToken ?? '',
    SCAN_REFRESH_TOKEN: state.users.user.refreshToken ?? '',
  };
  for (const [k, v] of Object.entries(lines)) process.stdout.write(`${k}=${v}\n`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(dir, keepLogs = false) {
  const file = path.join(dir, 'state.json');
  if (!fs.existsSync(file)) throw new Error(`no state.json in ${dir}`);
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  // Gateway first (it holds the DB and Redis connections), then its dependencies.
  for (const name of ['gateway', 'provider', 'redis']) {
    const pid = state.pids?.[name];
    if (!pid || !alive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 40 && alive(pid); i++) await sleep(250);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (state.database) {
    await withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${state.database}" WITH (FORCE)`));
  }
  if (state.redisDir) fs.rmSync(state.redisDir, { recursive: true, force: true });
  // state.json holds the instance's secrets and test passwords: never leave it behind.
  if (keepLogs) fs.rmSync(file, { force: true });
  else fs.rmSync(dir, { recursive: true, force: true });
  log(`stopped instance ${state.id} and dropped ${state.database}${keepLogs ? `; logs kept in ${dir}` : ''}`);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'start') {
    const i = rest.indexOf('--state-dir');
    await start(i >= 0 ? rest[i + 1] : undefined);
  } else if (command === 'stop' && rest[0]) {
    await stop(rest[0], rest.includes('--keep-logs'));
  } else {
    process.stderr.write('usage: instance.js start [--state-dir DIR] | stop DIR [--keep-logs]\n');
    process.exit(2);
  }
}

main().catch((error) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

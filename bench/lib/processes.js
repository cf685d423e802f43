'use strict';

const { execFile, spawn } = require('node:child_process');
const { createServer } = require('node:net');
const { join } = require('node:path');
const { Client } = require('pg');
const Redis = require('ioredis');

const ROOT = join(__dirname, '../..');
const BASE_DATABASE_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const BASE_REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** Cleanups run once, newest first, on success, failure, SIGINT or SIGTERM. */
const cleanups = [];
let cleaning;

function onCleanup(label, fn) {
  cleanups.push({ label, fn });
}

function runCleanups() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const { label, fn } = cleanups.pop();
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`bench: cleanup "${label}" failed: ${error.message}\n`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, cleaning up…\n`);
    void runCleanups().finally(() => process.exit(130));
  });
}

function databaseUrlFor(name) {
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin(fn) {
  const admin = new Client({ connectionString: BASE_DATABASE_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Creates `gw_bench_<id>`, migrates it with `prisma migrate deploy`, and registers its drop. */
async function freshDatabase(runId) {
  const name = `gw_bench_${runId}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  onCleanup(`drop database ${name}`, () =>
    withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  );
  const url = databaseUrlFor(name);
  // PRISMA_SCHEMA_ENGINE_BINARY (and anything else Prisma reads) comes from the caller's environment.
  await new Promise((resolve, reject) => {
    execFile(
      join(ROOT, 'node_modules/.bin/prisma'),
      ['migrate', 'deploy'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`prisma migrate deploy failed: ${stderr || error.message}`)) : resolve(),
    );
  });
  return { name, url };
}

/** Registers removal of every key under `prefix` on the shared Redis. */
function cleanRedisPrefixOnExit(prefix) {
  onCleanup(`unlink redis keys ${prefix}*`, async () => {
    const redis = new Redis(BASE_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForHttp(url, { timeoutMs = 90000, child, output }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}: ${output().slice(-2000)}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${output().slice(-2000)}`);
}

/**
 * Spawns a Node process (the built gateway or a peer) with exactly `env` (plus PATH), waits until
 * `readyPath` answers 200, and registers its termination. `nodeArgs` lets a run add --cpu-prof.
 */
async function spawnServer({ label, script, env, readyPath, nodeArgs = [] }) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH || '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    // stdout carries request logs; it is discarded so the pipe never backs up. stderr is kept for errors.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-20000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(`stop ${label}`, stop);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url + readyPath, { child, output: () => stderr });
  return { label, url, port, pid: child.pid, stop, stderr: () => stderr };
}

module.exports = {
  ROOT,
  BASE_DATABASE_URL,
  BASE_REDIS_URL,
  onCleanup,
  runCleanups,
  databaseUrlFor,
  freshDatabase,
  cleanRedisPrefixOnExit,
  freePort,
  spawnServer,
  sleep,
};

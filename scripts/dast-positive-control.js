#!/usr/bin/env node
'use strict';
/**
 * Positive control for the DAST setup: proves that the scan, as configured, finds a planted SQL
 * injection. Starts a deliberately vulnerable stand-in on 127.0.0.1 (string-built SQL on
 * `POST /v1/auth/login`, against a scratch PostgreSQL database), runs scripts/security-scan.js
 * against it, and passes only if the scan exits 1 with a CRITICAL SQL injection on that route.
 * Everything is torn down afterwards (process killed by pid, database dropped).
 *
 *   node scripts/dast-positive-control.js [--out DIR]
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const { createServer } = require('node:http');
const path = require('node:path');
const { Client } = require('pg');

const ROOT = path.join(__dirname, '..');
const ADMIN_DATABASE_URL =
  process.env.SCAN_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

function databaseUrlFor(name) {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql) {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The vulnerable stand-in, in this process: it exists only for the duration of the control. */
async function startVulnerable(databaseUrl) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('CREATE TABLE accounts (email text, password text)');
  const send = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      if (req.url === '/docs-json')
        return send(res, 200, { openapi: '3.0.0', paths: { '/v1/auth/login': { post: {} } } });
      if (req.url === '/health/live') return send(res, 200, { status: 'ok' });
      if (req.method !== 'POST' || req.url !== '/v1/auth/login') return send(res, 404, { code: 'NOT_FOUND' });
      try {
        const { email } = JSON.parse(body);
        // THE PLANTED BUG: user input concatenated into SQL.
        const found = await db.query(`SELECT 1 FROM accounts WHERE email = '${email}'`);
        return found.rows.length ? send(res, 200, { ok: true }) : send(res, 401, { code: 'INVALID_CREDENTIALS' });
      } catch (error) {
        return send(res, 500, { error: String(error.message) });
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.end();
    },
  };
}

async function main() {
  const i = process.argv.indexOf('--out');
  const id = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const outDir = path.resolve(
    i >= 0 ? process.argv[i + 1] : path.join(ROOT, 'reports/security', `${id}-positive-control`),
  );
  const database = `gw_dast_control_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${database}"`);
  let vulnerable;
  try {
    vulnerable = await startVulnerable(databaseUrlFor(database));
    const code = await new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [path.join(__dirname, 'security-scan.js'), '--url', vulnerable.url, '--engine', 'local', '--out', outDir],
        {
          env: { ...process.env, SCAN_SQLMAP_TARGET_SECONDS: process.env.SCAN_SQLMAP_TARGET_SECONDS ?? '90' },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      child.on('close', resolve);
    });
    const summary = JSON.parse(fs.readFileSync(path.join(outDir, 'summary.json'), 'utf8'));
    const detected = summary.findings.some(
      (f) => f.severity === 'CRITICAL' && f.title === 'SQL injection' && f.target === 'POST /v1/auth/login',
    );
    const verdict = { detected, scanExitCode: code, counts: summary.counts, report: path.relative(ROOT, outDir) };
    fs.writeFileSync(path.join(outDir, 'positive-control.json'), JSON.stringify(verdict, null, 2) + '\n');
    process.stdout.write(
      detected && code === 1
        ? `positive control PASSED: the scan found the planted SQL injection and exited 1 (${verdict.report})\n`
        : `positive control FAILED: planted SQL injection ${detected ? 'found' : 'NOT found'}, scan exit ${code}\n`,
    );
    process.exitCode = detected && code === 1 ? 0 : 1;
  } finally {
    await vulnerable?.close();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

main().catch((error) => {
  process.stderr.write(`dast-positive-control: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});

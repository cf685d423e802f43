import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { Client } from 'pg';
import { createDatabase, dropDatabase, ROOT, timestamp } from '../harness';
import { ScanBudget } from './args';
import { ScanSummary } from './report';
import { runScan } from './scan';

/** The planted bug's route: the control passes only when a CRITICAL SQL injection is reported here. */
export const PLANTED_ROUTE = 'POST /v1/auth/login';

interface Vulnerable {
  url: string;
  close(): Promise<void>;
}

/** The deliberately vulnerable stand-in, in this process: it exists only while the control runs. */
async function startVulnerable(databaseUrl: string): Promise<Vulnerable> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('CREATE TABLE accounts (email text, password text)');
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const answer = async (method: string | undefined, url: string | undefined, body: string, res: ServerResponse) => {
    if (url === '/docs-json') return send(res, 200, { openapi: '3.0.0', paths: { '/v1/auth/login': { post: {} } } });
    if (url === '/health/live') return send(res, 200, { status: 'ok' });
    if (method !== 'POST' || url !== '/v1/auth/login') return send(res, 404, { code: 'NOT_FOUND' });
    try {
      const { email } = JSON.parse(body) as { email?: string };
      // THE PLANTED BUG: user input concatenated into SQL.
      const found = await db.query(`SELECT 1 FROM accounts WHERE email = '${email}'`);
      return found.rows.length ? send(res, 200, { ok: true }) : send(res, 401, { code: 'INVALID_CREDENTIALS' });
    } catch (error) {
      return send(res, 500, { error: String((error as Error).message) });
    }
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => void answer(req.method, req.url, body, res));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await db.end();
    },
  };
}

/** positive-control.json */
export interface ControlVerdict {
  detected: boolean;
  scanExitCode: number;
  counts?: ScanSummary['counts'];
  report: string;
}

/** Passed only when the scan reported a CRITICAL SQL injection on the planted route and exited 1. */
export function controlVerdict(summary: ScanSummary | undefined, exitCode: number, report: string): ControlVerdict {
  const detected = (summary?.findings ?? []).some(
    (f) => f.severity === 'CRITICAL' && f.title === 'SQL injection' && f.target === PLANTED_ROUTE,
  );
  return { detected, scanExitCode: exitCode, counts: summary?.counts, report };
}

export const controlPassed = (v: ControlVerdict): boolean => v.detected && v.scanExitCode === 1;

export function controlText(v: ControlVerdict): string {
  return controlPassed(v)
    ? `positive control PASSED: the scan found the planted SQL injection and exited 1 (${v.report})`
    : `positive control FAILED: planted SQL injection ${v.detected ? 'found' : 'NOT found'}, scan exit ${v.scanExitCode} (${v.report})`;
}

export interface ControlOptions {
  /** Report folder (default reports/security/<timestamp>-positive-control). */
  out?: string;
  /** Server whose admin login can CREATE DATABASE (a scratch one, dropped afterwards). */
  adminDatabaseUrl: string;
  budget: ScanBudget;
  log?: (line: string) => void;
}

/**
 * Positive control for the DAST setup: the local scan, as configured, must find a planted SQL
 * injection in a throwaway vulnerable stand-in (127.0.0.1 only, a scratch database dropped after).
 */
export async function runPositiveControl(options: ControlOptions): Promise<{ passed: boolean; text: string }> {
  const outDir = resolve(options.out ?? join(ROOT, 'reports/security', `${timestamp()}-positive-control`));
  const database = `gw_dast_control_${randomBytes(4).toString('hex')}`;
  const databaseUrl = await createDatabase(options.adminDatabaseUrl, database);
  let vulnerable: Vulnerable | undefined;
  try {
    vulnerable = await startVulnerable(databaseUrl);
    const outcome = await runScan({ url: vulnerable.url, engine: 'local', out: outDir }, options.budget, options.log);
    if (!outcome.summary) {
      return { passed: false, text: `positive control FAILED: the scan did not run (${outcome.message})` };
    }
    const verdict = controlVerdict(outcome.summary, outcome.exitCode, relative(ROOT, outDir));
    writeFileSync(join(outDir, 'positive-control.json'), JSON.stringify(verdict, null, 2) + '\n');
    return { passed: controlPassed(verdict), text: controlText(verdict) };
  } finally {
    await vulnerable?.close();
    await dropDatabase(options.adminDatabaseUrl, database);
  }
}

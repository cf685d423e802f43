import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanBudget, ScanOptions } from './args';
import { BoundedRun, runBounded } from './bounded-run';
import { Finding, ToolRun } from './findings';
import { substitute } from './redact';
import { SERVER_ERROR_SEVERITY, SQL_INJECTION_SEVERITY } from './severity';
import { authHeader, SqlmapTarget } from './targets';

export interface SqlmapOutput {
  injectable: { parameter: string; place: string }[];
  /** HTTP status -> how many times sqlmap saw it (its "HTTP error codes detected during run"). */
  codes: Record<string, number>;
  critical: string[];
  notInjectable: boolean;
}

/** What sqlmap's console output says: injectable parameters, HTTP error codes seen, [CRITICAL] lines. */
export function parseSqlmap(output: string): SqlmapOutput {
  const injectable = [...output.matchAll(/Parameter: (.+?) \((.+?)\)\n([\s\S]*?)(?:\n---|\n\n)/g)].map(
    ([, parameter = '', place = '']) => ({ parameter: parameter.trim(), place: place.trim() }),
  );
  // "401 (Unauthorized) - 1000 times, 400 (Bad Request) - 1865 times" (one line, or several).
  const codes: Record<string, number> = {};
  const block = /HTTP error codes detected during run:\n([\s\S]*?)(?:\n\[|\n\n|$)/.exec(output)?.[1] ?? '';
  for (const [, code, times] of block.matchAll(/(\d{3}) \([^)]*\) - (\d+) times/g)) {
    if (code !== undefined) codes[code] = Number(times);
  }
  const critical = [...output.matchAll(/\[CRITICAL\] (.+)/g)].map(([, line = '']) => line);
  const notInjectable = /do not appear to be injectable|does not seem to be injectable/.test(output);
  return { injectable, codes, critical, notInjectable };
}

/** `METHOD /route`, the name a target's findings and coverage row carry. */
export const targetLabel = (target: SqlmapTarget): string => `${target.method} ${target.route}`;

/** Findings of one target: each injectable parameter, and each 5xx status sqlmap provoked. */
export function sqlmapFindings(target: SqlmapTarget, parsed: SqlmapOutput): Finding[] {
  const label = targetLabel(target);
  const injections: Finding[] = parsed.injectable.map((p) => ({
    tool: 'sqlmap',
    severity: SQL_INJECTION_SEVERITY,
    kind: 'vulnerability',
    title: 'SQL injection',
    target: label,
    parameter: p.parameter,
    detail: `sqlmap found ${p.parameter} (${p.place}) injectable`,
  }));
  const serverErrors: Finding[] = Object.entries(parsed.codes)
    .filter(([code]) => Number(code) >= 500)
    .map(([code, times]) => ({
      tool: 'sqlmap',
      severity: SERVER_ERROR_SEVERITY,
      kind: 'anomaly',
      title: 'Server error on hostile input',
      target: label,
      detail: `${times} answers with HTTP ${code} while sqlmap probed this route`,
    }));
  return [...injections, ...serverErrors];
}

/** A target's coverage status; only 'failed...' makes the scan incomplete. */
export function sqlmapStatus(
  run: Pick<BoundedRun, 'code' | 'timedOut' | 'error'>,
  parsed: SqlmapOutput,
  redact: (text: string) => string,
): string {
  if (run.error) return `failed: ${run.error.message}`;
  if (parsed.injectable.length) return 'injectable';
  if (run.timedOut) return 'completed (cut at time limit)';
  if (parsed.notInjectable) return 'completed: not injectable';
  const [firstCritical] = parsed.critical;
  if (firstCritical !== undefined) return `failed: ${redact(firstCritical).slice(0, 200)}`;
  return `completed (exit ${run.code})`;
}

/** sqlmap's command line for one target, or why the target is skipped. */
export function sqlmapArgs(
  opts: ScanOptions,
  target: SqlmapTarget,
  budget: ScanBudget,
  workDir: string,
  vars: Record<string, string>,
): string[] | { skipped: string } {
  const header = authHeader(opts, target.auth);
  if (target.auth !== 'none' && !header) return { skipped: 'skipped: no bearer token for this route' };
  return [
    '-u',
    `${opts.url}${substitute(target.path, vars)}`,
    '--method',
    target.method,
    '--batch',
    '--level',
    String(budget.sqlmapLevel),
    '--risk',
    String(budget.sqlmapRisk),
    '--technique',
    'BEUT',
    '--time-sec',
    '2',
    '--timeout',
    '10',
    '--retries',
    '0',
    '--threads',
    '2',
    // Expected refusals are answers, not errors: keep testing through them.
    '--ignore-code',
    '400,401,403,404,409,413,415,422,423,429',
    '--output-dir',
    workDir,
    '--disable-coloring',
    '--flush-session',
    // A JSON content type without a body is itself a 400 (empty JSON body): only send it with data.
    ...(target.data ? ['-H', 'Content-Type: application/json'] : []),
    '-H',
    'Accept: application/json',
    ...(header ? ['-H', header] : []),
    ...Object.entries(target.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${substitute(v, vars)}`]),
    ...(target.data ? ['--data', substitute(JSON.stringify(target.data), vars)] : []),
  ];
}

/** Runs sqlmap against one target (unless its route is not in the OpenAPI document); writes sqlmap/<name>.log. */
export async function runSqlmapTarget(
  opts: ScanOptions,
  target: SqlmapTarget,
  routes: Set<string> | undefined,
  outDir: string,
  redact: (text: string) => string,
  budget: ScanBudget,
): Promise<ToolRun> {
  const base = { tool: 'sqlmap', target: targetLabel(target), name: target.name } as const;
  if (routes && !routes.has(`${target.method.toLowerCase()} ${target.route}`)) {
    return { ...base, status: 'skipped: route not in the OpenAPI document', seconds: 0, findings: [] };
  }
  const workDir = mkdtempSync(join(tmpdir(), 'gw-sqlmap-'));
  try {
    const vars = {
      uuid: randomUUID(),
      idem: randomBytes(8).toString('hex'),
      refreshToken: opts.refreshToken ?? 'no-refresh-token',
    };
    const args = sqlmapArgs(opts, target, budget, workDir, vars);
    if (!Array.isArray(args)) return { ...base, status: args.skipped, seconds: 0, findings: [] };
    const result = await runBounded('sqlmap', args, { timeoutSeconds: budget.sqlmapTarget, cwd: workDir });
    writeFileSync(join(outDir, 'sqlmap', `${target.name}.log`), redact(result.output));
    const parsed = parseSqlmap(result.output);
    return {
      ...base,
      status: sqlmapStatus(result, parsed, redact),
      seconds: result.seconds,
      httpCodes: parsed.codes,
      findings: sqlmapFindings(target, parsed),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

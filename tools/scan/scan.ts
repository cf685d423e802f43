import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, timestamp } from '../harness';
import { ScanBudget, ScanOptions } from './args';
import { bySeverity, countBySeverity, EngineResult, verdict } from './findings';
import { runLocal } from './local';
import { makeRedactor } from './redact';
import { markdown, ScanSummary, summaryRuns } from './report';
import { serverErrorsFromLog } from './server-log';
import { SEVERITY_MAPPING } from './severity';
import { dockerEngineAvailable } from './tool-version';
import { runZap } from './zap';

export interface ScanOutcome {
  /** 0 clean, 1 any HIGH/CRITICAL finding, 3 the scan could not run or was incomplete. */
  exitCode: 0 | 1 | 3;
  outDir: string;
  /** Absent when the scan could not run (then `message` says why). */
  summary?: ScanSummary;
  message?: string;
}

/** The OpenAPI routes (`method path`) the target documents, or undefined when /docs-json is not served. */
async function openapiRoutes(url: string, outDir: string): Promise<Set<string> | undefined | 'unreachable'> {
  try {
    const res = await fetch(`${url}/docs-json`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return undefined;
    const doc = (await res.json()) as { paths?: Record<string, Record<string, unknown>> };
    writeFileSync(join(outDir, 'openapi.json'), JSON.stringify(doc, null, 2) + '\n');
    return new Set(Object.entries(doc.paths ?? {}).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
  } catch {
    const live = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    return live ? undefined : 'unreachable';
  }
}

/**
 * One DAST scan of a running gateway on this machine: ZAP when asked (or `auto` and a Docker engine
 * answers), wapiti + sqlmap otherwise, plus the server's own 5xx lines when its log is given. Writes
 * summary.json, report.md and the tools' output into `options.out` (default
 * reports/security/<timestamp>), every token redacted.
 */
export async function runScan(
  options: ScanOptions,
  budget: ScanBudget,
  log: (line: string) => void = () => undefined,
): Promise<ScanOutcome> {
  const id = timestamp();
  const outDir = resolve(options.out ?? join(ROOT, 'reports/security', id));
  mkdirSync(outDir, { recursive: true });
  const redact = makeRedactor([options.token, options.adminToken, options.refreshToken]);
  const started = Date.now();

  const routes = await openapiRoutes(options.url, outDir);
  if (routes === 'unreachable') return { exitCode: 3, outDir, message: `${options.url} is not reachable` };
  const serverLogOffset =
    options.serverLog && existsSync(options.serverLog) ? statSync(options.serverLog).size : undefined;
  const useZap = options.engine === 'zap' || (options.engine === 'auto' && dockerEngineAvailable());
  if (useZap && !routes) {
    return { exitCode: 3, outDir, message: 'ZAP needs the OpenAPI document at /docs-json (DOCS_ENABLED=true)' };
  }
  log(`${useZap ? 'ZAP via Docker' : 'no Docker engine: wapiti + sqlmap'} against ${options.url}`);
  const result: EngineResult = useZap
    ? await runZap(options, outDir, redact, budget)
    : await runLocal(options, outDir, redact, routes, budget);

  if (options.serverLog && serverLogOffset !== undefined) {
    const checked = Date.now();
    const findings = serverErrorsFromLog(options.serverLog, serverLogOffset);
    result.runs.push({
      tool: 'server-log',
      target: 'gateway log during the scan',
      status: 'completed',
      seconds: (Date.now() - checked) / 1000,
      findings,
    });
  }
  const findings = bySeverity(result.runs.flatMap((r) => r.findings));
  const counts = countBySeverity(findings);
  const { result: outcome, exitCode } = verdict(counts, result.runs);
  const summary: ScanSummary = {
    id,
    target: options.url,
    engine: result.engine,
    tools: result.tools,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    authenticated: { user: Boolean(options.token), admin: Boolean(options.adminToken) },
    openapiRoutes: routes?.size,
    counts,
    result: outcome,
    budget: result.budget,
    excluded: result.excluded,
    severityMapping: SEVERITY_MAPPING,
    runs: summaryRuns(result.runs),
    findings,
  };
  writeFileSync(join(outDir, 'summary.json'), redact(JSON.stringify(summary, null, 2)) + '\n');
  writeFileSync(join(outDir, 'report.md'), redact(markdown(summary)));
  return { exitCode, outDir, summary };
}

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanBudget, ScanOptions } from './args';
import { runBounded } from './bounded-run';
import { Finding, ToolRun } from './findings';
import { substitute } from './redact';
import { wapitiSeverity } from './severity';
import { authHeader, DastTargets } from './targets';

interface WapitiItem {
  level?: number | string;
  method?: string;
  path?: string;
  parameter?: string;
  info?: string;
}

/** The parts of wapiti's JSON report read here: category -> items, for vulnerabilities and anomalies. */
export interface WapitiReport {
  vulnerabilities?: Record<string, WapitiItem[]>;
  anomalies?: Record<string, WapitiItem[]>;
}

/** Every vulnerability and anomaly of a wapiti report as a finding, rated by SEVERITY_MAPPING. */
export function wapitiFindings(report: WapitiReport, redact: (text: string) => string): Finding[] {
  const findings: Finding[] = [];
  for (const kind of ['vulnerabilities', 'anomalies'] as const) {
    for (const [category, items] of Object.entries(report[kind] ?? {})) {
      for (const item of items) {
        findings.push({
          tool: 'wapiti',
          severity: wapitiSeverity(item.level),
          kind: kind === 'vulnerabilities' ? 'vulnerability' : 'anomaly',
          title: category,
          target: `${item.method} ${item.path}`,
          parameter: item.parameter || undefined,
          detail: redact(item.info ?? ''),
        });
      }
    }
  }
  return findings;
}

/** wapiti's command line: crawl from the start paths, attack with the configured modules, JSON report. */
export function wapitiArgs(
  opts: ScanOptions,
  config: DastTargets['wapiti'],
  budget: ScanBudget,
  workDir: string,
  vars: Record<string, string>,
): string[] {
  const header = authHeader(opts, 'admin');
  return [
    '-u',
    `${opts.url}/`,
    '--scope',
    'folder',
    ...config.startPaths.flatMap((s) => ['-s', `${opts.url}${substitute(s.path, vars)}`]),
    '-m',
    config.modules,
    '--max-scan-time',
    String(budget.wapitiScan),
    '--max-attack-time',
    String(budget.wapitiAttack),
    '-t',
    '10',
    '--flush-session',
    '--store-session',
    workDir,
    '--no-bugreport',
    '-v',
    '1',
    '-f',
    'json',
    '-o',
    join(workDir, 'wapiti.json'),
    ...(header ? ['-H', header] : []),
  ];
}

/** Runs wapiti; writes wapiti.log and (redacted) wapiti.json into `outDir`. */
export async function runWapiti(
  opts: ScanOptions,
  config: DastTargets['wapiti'],
  outDir: string,
  redact: (text: string) => string,
  budget: ScanBudget,
): Promise<ToolRun> {
  const workDir = mkdtempSync(join(tmpdir(), 'gw-wapiti-'));
  try {
    const args = wapitiArgs(opts, config, budget, workDir, { uuid: randomUUID() });
    const result = await runBounded('wapiti', args, { timeoutSeconds: budget.wapitiScan + 120, cwd: workDir });
    writeFileSync(join(outDir, 'wapiti.log'), redact(result.output));
    let report: WapitiReport;
    try {
      report = JSON.parse(readFileSync(join(workDir, 'wapiti.json'), 'utf8')) as WapitiReport;
    } catch {
      const status = result.timedOut ? 'time-limit (no report)' : `failed (exit ${result.code})`;
      return { tool: 'wapiti', status, seconds: result.seconds, findings: [], modules: config.modules };
    }
    // The report's http_request/curl_command fields repeat the Authorization header: redact.
    writeFileSync(join(outDir, 'wapiti.json'), redact(JSON.stringify(report, null, 2)) + '\n');
    return {
      tool: 'wapiti',
      status: result.timedOut ? 'completed (cut at time limit)' : 'completed',
      seconds: result.seconds,
      findings: wapitiFindings(report, redact),
      modules: config.modules,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

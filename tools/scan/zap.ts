import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness';
import { ScanBudget, ScanOptions } from './args';
import { runBounded } from './bounded-run';
import { EngineResult, Finding } from './findings';
import { zapSeverity } from './severity';
import { authHeader } from './targets';

export const ZAP_IMAGE = 'ghcr.io/zaproxy/zaproxy:stable';

/** The parts of ZAP's JSON report read here. */
export interface ZapReport {
  site?: {
    alerts?: {
      name: string;
      pluginid: string;
      riskcode: string | number;
      count?: string | number;
      instances?: { method: string; uri: string }[];
    }[];
  }[];
}

/** Every alert of a ZAP report as a finding, rated by SEVERITY_MAPPING. */
export function zapFindings(report: ZapReport): Finding[] {
  return (report.site ?? []).flatMap((site) =>
    (site.alerts ?? []).map((alert): Finding => ({
      tool: 'zap',
      severity: zapSeverity(alert.riskcode),
      kind: 'alert',
      title: `${alert.name} (${alert.pluginid})`,
      target: (alert.instances ?? [])
        .slice(0, 3)
        .map((i) => `${i.method} ${i.uri}`)
        .join(', '),
      detail: `${alert.count ?? (alert.instances ?? []).length} instance(s)`,
    })),
  );
}

/** `docker run ... zap-api-scan.py` of /docs-json with security/zap/rules.tsv, reports into `outDir`. */
export function zapArgs(opts: ScanOptions, outDir: string): string[] {
  const header = authHeader(opts, 'admin');
  return [
    'run',
    '--rm',
    '--network',
    'host',
    '-v',
    `${outDir}:/zap/wrk:rw`,
    '-v',
    `${join(ROOT, 'security/zap')}:/zap/wrk/config:ro`,
    ...(header
      ? [
          '-e',
          'ZAP_AUTH_HEADER=Authorization',
          '-e',
          `ZAP_AUTH_HEADER_VALUE=${header.replace(/^Authorization: /, '')}`,
          '-e',
          `ZAP_AUTH_HEADER_SITE=${new URL(opts.url).host}`,
        ]
      : []),
    ZAP_IMAGE,
    'zap-api-scan.py',
    '-t',
    `${opts.url}/docs-json`,
    '-f',
    'openapi',
    '-c',
    'config/rules.tsv',
    '-J',
    'zap.json',
    '-w',
    'zap.md',
    '-I',
  ];
}

/** OWASP ZAP's API scan in Docker; writes zap.log and (redacted) zap.json into `outDir`. */
export async function runZap(
  opts: ScanOptions,
  outDir: string,
  redact: (text: string) => string,
  budget: ScanBudget,
): Promise<EngineResult> {
  // The ZAP image runs as uid 1000 ("zap"): it must be able to write its reports here.
  chmodSync(outDir, 0o777);
  const result = await runBounded('docker', zapArgs(opts, outDir), { timeoutSeconds: budget.zap });
  writeFileSync(join(outDir, 'zap.log'), redact(result.output));
  let findings: Finding[] = [];
  let status = `completed (exit ${result.code})`;
  try {
    const report = JSON.parse(readFileSync(join(outDir, 'zap.json'), 'utf8')) as ZapReport;
    writeFileSync(join(outDir, 'zap.json'), redact(JSON.stringify(report, null, 2)) + '\n');
    findings = zapFindings(report);
  } catch {
    status = `failed (exit ${result.code}): no zap.json`;
  }
  return {
    engine: `zap (${ZAP_IMAGE})`,
    tools: { zap: ZAP_IMAGE },
    runs: [{ tool: 'zap', status, seconds: result.seconds, findings }],
    budget,
  };
}

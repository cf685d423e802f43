import { Console } from 'node:console';
import { relative } from 'node:path';
import { Writable } from 'node:stream';
import { ScanBudget } from './args';
import { Finding, ScanResult, SeverityCounts, ToolRun } from './findings';
import { SEVERITIES, SeverityRule, severityTable } from './severity';

/** reports/security/<id>/summary.json (the gate reads it). */
export interface ScanSummary {
  id: string;
  target: string;
  engine: string;
  tools: Record<string, string | null>;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  authenticated: { user: boolean; admin: boolean };
  /** How many method+path pairs /docs-json listed; absent when it could not be read. */
  openapiRoutes?: number;
  counts: SeverityCounts;
  result: ScanResult;
  budget?: ScanBudget;
  excluded?: string;
  severityMapping: readonly SeverityRule[];
  runs: (Omit<ToolRun, 'findings'> & { findings: number })[];
  findings: Finding[];
}

export const summaryRuns = (runs: readonly ToolRun[]): ScanSummary['runs'] =>
  runs.map(({ findings, ...rest }) => ({ ...rest, findings: findings.length }));

const cell = (s: unknown): string =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** report.md: the figures, every finding, per-run coverage, and the severity mapping. */
export function markdown(summary: ScanSummary): string {
  const lines = [
    `# DAST scan ${summary.id}`,
    '',
    `- target: ${summary.target} (OpenAPI routes: ${summary.openapiRoutes ?? 'not available'})`,
    `- engine: ${summary.engine}; tools: ${Object.entries(summary.tools)
      .map(([k, v]) => `${k} ${v ?? 'missing'}`)
      .join(', ')}`,
    `- started ${summary.startedAt}, took ${summary.durationSeconds} s; authenticated: user ${summary.authenticated.user}, admin ${summary.authenticated.admin}`,
    `- result: **${summary.result}**`,
    '',
    '| severity | findings |',
    '|---|---|',
    ...SEVERITIES.map((s) => `| ${s} | ${summary.counts[s]} |`),
    '',
    '## Findings',
    '',
  ];
  if (summary.findings.length === 0) lines.push('None.');
  else {
    lines.push('| severity | tool | kind | title | target | parameter | detail |', '|---|---|---|---|---|---|---|');
    for (const f of summary.findings) {
      lines.push(
        `| ${f.severity} | ${f.tool} | ${f.kind} | ${cell(f.title)} | ${cell(f.target)} | ${cell(f.parameter)} | ${cell(f.detail)} |`,
      );
    }
  }
  lines.push('', '## Coverage', '', '| tool | target | status | seconds | HTTP codes seen |', '|---|---|---|---|---|');
  for (const r of summary.runs) {
    const codes = Object.entries(r.httpCodes ?? {})
      .map(([c, n]) => `${c}x${n}`)
      .join(' ');
    lines.push(
      `| ${r.tool} | ${cell(r.target ?? r.modules ?? '')} | ${cell(r.status)} | ${r.seconds.toFixed(1)} | ${codes} |`,
    );
  }
  if (summary.excluded) lines.push('', `Excluded: ${summary.excluded}.`);
  lines.push('', '## Severity mapping', '', ...severityTable(), '');
  return lines.join('\n');
}

/** The closing summary a person reads: severity table, HIGH/CRITICAL findings, incomplete runs, where the reports are. */
export function printScanResult(summary: ScanSummary, outDir: string, stream: Writable): void {
  const where = relative(process.cwd(), outDir) || '.';
  stream.write(`\nDAST scan of ${summary.target} (${summary.engine}) in ${summary.durationSeconds} s\n`);
  new Console({ stdout: stream }).table(SEVERITIES.map((s) => ({ severity: s, findings: summary.counts[s] })));
  for (const f of summary.findings.filter((x) => x.severity === 'CRITICAL' || x.severity === 'HIGH')) {
    stream.write(`  ${f.severity} ${f.tool}: ${f.title} at ${f.target}${f.parameter ? ` (${f.parameter})` : ''}\n`);
  }
  for (const r of summary.runs.filter((x) => x.status.startsWith('failed'))) {
    stream.write(`  incomplete: ${r.tool} ${r.target ?? ''} ${r.status}\n`);
  }
  stream.write(`result: ${summary.result}\nreports: ${where}/summary.json, ${where}/report.md\n`);
}

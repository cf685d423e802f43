import { ScanBudget } from './args';
import { SEVERITIES, Severity } from './severity';

export type ScannerTool = 'wapiti' | 'sqlmap' | 'zap' | 'server-log';

export interface Finding {
  tool: ScannerTool;
  severity: Severity;
  kind: 'vulnerability' | 'anomaly' | 'alert';
  title: string;
  target: string;
  parameter?: string;
  detail: string;
}

/** One scanner run (wapiti, one sqlmap target, ZAP, the server-log check) and what it found. */
export interface ToolRun {
  tool: ScannerTool;
  /** `METHOD /route` for a sqlmap target; what was looked at otherwise. */
  target?: string;
  name?: string;
  modules?: string;
  /** 'completed...', 'injectable', 'skipped: ...', or 'failed...' (a failed run makes the scan INCOMPLETE). */
  status: string;
  seconds: number;
  httpCodes?: Record<string, number>;
  findings: Finding[];
}

/** What one engine (ZAP, or local wapiti + sqlmap) ran and found. */
export interface EngineResult {
  engine: string;
  tools: Record<string, string | null>;
  runs: ToolRun[];
  budget?: ScanBudget;
  excluded?: string;
}

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** Most severe first; the order within one severity is kept. */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}

export type ScanResult =
  'FAIL (HIGH/CRITICAL findings)' | 'INCOMPLETE (a scanner failed)' | 'PASS (no HIGH/CRITICAL findings)';

/**
 * The scan's verdict and exit code: 1 on any HIGH or CRITICAL finding (whatever else happened),
 * else 3 when a scanner failed (the scan is incomplete, so not clean), else 0.
 */
export function verdict(counts: SeverityCounts, runs: readonly ToolRun[]): { result: ScanResult; exitCode: 0 | 1 | 3 } {
  if (counts.CRITICAL + counts.HIGH > 0) return { result: 'FAIL (HIGH/CRITICAL findings)', exitCode: 1 };
  if (runs.some((r) => r.status.startsWith('failed'))) return { result: 'INCOMPLETE (a scanner failed)', exitCode: 3 };
  return { result: 'PASS (no HIGH/CRITICAL findings)', exitCode: 0 };
}

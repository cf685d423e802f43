import type { ScanSummary } from '../scan/report';
import type { GateContext, JestRun, JestTotals } from './context';

/** Fixtures shared by the gate's specs. */

/** Totals of a complete run of one suite whose one test passed. */
export const ONE_PASSED: JestTotals = {
  suites: 1,
  failedSuites: 0,
  suitesWithRuntimeErrors: 0,
  tests: 1,
  passed: 1,
  failed: 0,
  skipped: 0,
};

/** A gate context holding only a Jest run of `tests` ([full name, status] pairs). */
export function jestRun(tests: [string, string][], partial = false, totals: JestTotals | null = null): GateContext {
  const jest: JestRun = {
    ran: true,
    exitCode: 0,
    seconds: 1,
    partial,
    totals,
    tests: tests.map(([name, status]) => ({ name, status, file: 'x.spec.ts' })),
  };
  return { jest };
}

/** A complete scan's summary with these severity counts. */
export const scanSummary = (counts: ScanSummary['counts']): ScanSummary => ({
  id: 'x',
  target: 't',
  engine: 'local',
  tools: {},
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  durationSeconds: 1,
  authenticated: { user: true, admin: true },
  counts,
  result: 'FAIL (HIGH/CRITICAL findings)',
  severityMapping: [],
  runs: [],
  findings: [],
});

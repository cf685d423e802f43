import { bySeverity, countBySeverity, Finding, ToolRun, verdict } from './findings';
import { controlPassed, controlText, controlVerdict, PLANTED_ROUTE } from './positive-control';
import { ScanSummary } from './report';

const finding = (severity: Finding['severity'], title = 'x', target = 'GET /'): Finding => ({
  tool: 'sqlmap',
  severity,
  kind: 'anomaly',
  title,
  target,
  detail: '',
});
const run = (status: string): ToolRun => ({ tool: 'sqlmap', status, seconds: 1, findings: [] });

describe('scan verdict', () => {
  it('counts every severity and orders findings most severe first', () => {
    const findings = [finding('LOW', 'a'), finding('CRITICAL', 'b'), finding('LOW', 'c'), finding('HIGH', 'd')];
    expect(countBySeverity(findings)).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 0, LOW: 2, INFO: 0 });
    expect(bySeverity(findings).map((f) => f.title)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('fails (exit 1) on any HIGH or CRITICAL, even when a scanner also failed', () => {
    const counts = countBySeverity([finding('HIGH')]);
    expect(verdict(counts, [run('failed: sqlmap is not installed')])).toEqual({
      result: 'FAIL (HIGH/CRITICAL findings)',
      exitCode: 1,
    });
  });

  it('is incomplete (exit 3) when a scanner failed, and passes (exit 0) only when every run completed or was skipped', () => {
    const none = countBySeverity([finding('MEDIUM')]);
    expect(verdict(none, [run('completed'), run('failed (exit 2)')]).exitCode).toBe(3);
    expect(verdict(none, [run('completed'), run('skipped: route not in the OpenAPI document')])).toEqual({
      result: 'PASS (no HIGH/CRITICAL findings)',
      exitCode: 0,
    });
  });
});

describe('positive control verdict', () => {
  const summary = (findings: Finding[]): ScanSummary => ({
    id: 'x',
    target: 't',
    engine: 'local',
    tools: {},
    startedAt: '',
    finishedAt: '',
    durationSeconds: 1,
    authenticated: { user: false, admin: false },
    counts: countBySeverity(findings),
    result: 'FAIL (HIGH/CRITICAL findings)',
    severityMapping: [],
    runs: [],
    findings,
  });

  it('passes only on a CRITICAL SQL injection at the planted route with scan exit 1', () => {
    const planted = summary([finding('CRITICAL', 'SQL injection', PLANTED_ROUTE)]);
    expect(controlPassed(controlVerdict(planted, 1, 'r'))).toBe(true);
    expect(controlText(controlVerdict(planted, 1, 'r'))).toMatch(/^positive control PASSED/);
    expect(controlPassed(controlVerdict(planted, 3, 'r'))).toBe(false);
    const elsewhere = summary([finding('CRITICAL', 'SQL injection', 'POST /v1/other')]);
    expect(controlPassed(controlVerdict(elsewhere, 1, 'r'))).toBe(false);
    expect(controlText(controlVerdict(summary([finding('HIGH')]), 1, 'r'))).toMatch(
      /^positive control FAILED: planted SQL injection NOT found, scan exit 1/,
    );
  });
});

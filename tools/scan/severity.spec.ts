import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness';
import { markdown, ScanSummary } from './report';
import { SEVERITY_MAPPING, severityTable, wapitiSeverity, zapSeverity } from './severity';
import { sqlmapFindings } from './sqlmap';
import { SqlmapTarget } from './targets';
import { wapitiFindings } from './wapiti';
import { zapFindings } from './zap';

const noRedaction = (text: string): string => text;

describe('the one severity mapping', () => {
  it('rates wapiti levels 4..0 as CRITICAL..INFO, whether the level is a number or a string', () => {
    expect([4, 3, 2, 1, 0].map(wapitiSeverity)).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO']);
    expect(wapitiSeverity('3')).toBe('HIGH');
  });

  it('rates ZAP riskcodes 3..0 as HIGH..INFO (ZAP has no CRITICAL)', () => {
    expect(['3', '2', '1', '0'].map(zapSeverity)).toEqual(['HIGH', 'MEDIUM', 'LOW', 'INFO']);
  });

  it('rates a rating it does not know as INFO', () => {
    for (const rating of [5, -1, 'high', undefined, null]) {
      expect(wapitiSeverity(rating)).toBe('INFO');
      expect(zapSeverity(rating)).toBe('INFO');
    }
  });

  it("applies the mapping to each tool's report", () => {
    const wapiti = wapitiFindings(
      {
        vulnerabilities: { 'SQL Injection': [{ level: 4, method: 'POST', path: '/v1/auth/login', info: 'x' }] },
        anomalies: { 'Internal Server Error': [{ level: 3, method: 'GET', path: '/v1/payments/1' }] },
      },
      noRedaction,
    );
    expect(wapiti.map((f) => [f.kind, f.severity])).toEqual([
      ['vulnerability', 'CRITICAL'],
      ['anomaly', 'HIGH'],
    ]);
    const zap = zapFindings({ site: [{ alerts: [{ name: 'XSS', pluginid: '40012', riskcode: '3', instances: [] }] }] });
    expect(zap.map((f) => f.severity)).toEqual(['HIGH']);
    const target: SqlmapTarget = { name: 'login', method: 'POST', path: '/l', route: '/v1/auth/login', auth: 'none' };
    const sqlmap = sqlmapFindings(target, {
      injectable: [{ parameter: 'JSON email', place: 'POST' }],
      codes: { '400': 10, '500': 2 },
      critical: [],
      notInjectable: false,
    });
    expect(sqlmap.map((f) => [f.title, f.severity])).toEqual([
      ['SQL injection', 'CRITICAL'],
      ['Server error on hostile input', 'HIGH'],
    ]);
  });

  it('is the table docs/security-gate.md shows, row for row', () => {
    const docs = readFileSync(join(ROOT, 'docs/security-gate.md'), 'utf8');
    for (const row of severityTable()) expect(docs).toContain(row);
  });

  it('is written into report.md', () => {
    const summary: ScanSummary = {
      id: 'x',
      target: 'http://127.0.0.1:1',
      engine: 'local (wapiti + sqlmap)',
      tools: {},
      startedAt: '',
      finishedAt: '',
      durationSeconds: 0,
      authenticated: { user: false, admin: false },
      counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0 },
      result: 'PASS (no HIGH/CRITICAL findings)',
      severityMapping: SEVERITY_MAPPING,
      runs: [],
      findings: [],
    };
    expect(markdown(summary)).toContain(severityTable().join('\n'));
  });
});

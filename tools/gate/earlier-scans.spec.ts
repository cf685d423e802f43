import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../harness';
import { Box } from './checklist';
import { checkEvidence } from './checks';
import { GateContext } from './context';
import { COMMITTED_SCAN, earlierScanReports, LAST_GATE_SCAN } from './earlier-scans';
import { parseEvidence } from './evidence';
import { scanSummary } from './spec-fixtures';

describe('earlier scan reports (what box 1.8.5 "Scan re-run clean" re-runs)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gw-gate-earlier-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string): void => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '{}\n');
  };

  it('finds none in a checkout with no reports and no committed sign-off', () => {
    expect(earlierScanReports(root)).toEqual([]);
  });

  it("finds the committed sign-off's scan in a fresh clone, where reports/ does not exist", () => {
    write(COMMITTED_SCAN);
    expect(earlierScanReports(root)).toEqual([COMMITTED_SCAN]);
  });

  it("lists earlier scans and the last gate run's archive, never a positive control or a scan without a summary", () => {
    write('reports/security/20260101T000000Z/summary.json');
    write('reports/security/20260101T000100Z-positive-control/summary.json');
    mkdirSync(join(root, 'reports/security/20260102T000000Z'), { recursive: true });
    write(LAST_GATE_SCAN);
    write(COMMITTED_SCAN);
    expect(earlierScanReports(root)).toEqual([
      'reports/security/20260101T000000Z/summary.json',
      LAST_GATE_SCAN,
      COMMITTED_SCAN,
    ]);
  });

  it('has the committed sign-off in this repository, so a fresh clone can pass the box with one scan', () => {
    expect(earlierScanReports(ROOT)).toContain(COMMITTED_SCAN);
  });
});

describe('the rerun-clean check', () => {
  const box: Box = { id: '1.8.5', text: 'Scan re-run clean', task: 'TASK 1.8', subsection: 'Sign-off', index: 0 };
  const scope = { box, boxes: [box], ticked: new Set<string>(), deferred: new Set<string>() };
  const item = parseEvidence({ scan: 'rerun-clean' });
  const run = (high: number, earlierScans: string[]): GateContext => ({
    mode: 'full',
    earlierScans,
    scan: {
      exitCode: high ? 1 : 0,
      outDir: join(ROOT, 'reports/security/20260103T000000Z'),
      summary: scanSummary({ CRITICAL: 0, HIGH: high, MEDIUM: 0, LOW: 0, INFO: 0 }),
    },
  });

  it('passes a clean scan that re-runs an earlier one, and names what it re-ran', () => {
    expect(checkEvidence(item, scope, run(0, [COMMITTED_SCAN]))).toEqual({
      pass: true,
      text: `this run (reports/security/20260103T000000Z) is clean and re-runs 1 earlier scan report(s): ${COMMITTED_SCAN}`,
    });
  });

  it('fails a clean scan with nothing before it, and a re-run that is not clean', () => {
    expect(checkEvidence(item, scope, run(0, []))).toMatchObject({
      pass: false,
      text: expect.stringContaining('no earlier scan report exists'),
    });
    expect(checkEvidence(item, scope, run(1, [COMMITTED_SCAN])).pass).toBe(false);
  });
});

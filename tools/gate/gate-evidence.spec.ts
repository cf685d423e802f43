import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness';
import { ScanSummary } from '../scan/report';
import { DEFAULT_CHECKLIST, DEFAULT_EVIDENCE } from './args';
import { Box, parseChecklist } from './checklist';
import { GateContext, JestRun } from './context';
import { EvidenceMapping, parseMapping, readMapping } from './evidence';
import { evaluate } from './evaluate';

const checklist = readFileSync(DEFAULT_CHECKLIST, 'utf8');
const mapping = readMapping(readFileSync(DEFAULT_EVIDENCE, 'utf8'));

const jestRun = (tests: [string, string][]): GateContext => {
  const jest: JestRun = {
    ran: true,
    exitCode: 0,
    seconds: 1,
    partial: false,
    totals: null,
    tests: tests.map(([name, status]) => ({ name, status, file: 'x.spec.ts' })),
  };
  return { jest };
};

const scanSummary = (counts: ScanSummary['counts']): ScanSummary => ({
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

const box = (text: string, task: string, subsection: string, index = 0): Box => ({ text, task, subsection, index });

describe('gate evidence mapping (docs/gate-1-evidence.json)', () => {
  const boxes = parseChecklist(checklist);

  it('reads every box of the seed checklist, each under its task', () => {
    expect(boxes.length).toBe((checklist.match(/^- \[ \] /gm) ?? []).length);
    expect(boxes.every((b) => b.task !== null)).toBe(true);
  });

  it('maps evidence to every checklist box, and to nothing else', () => {
    expect(boxes.filter((b) => !((mapping[b.text]?.length ?? 0) > 0)).map((b) => b.text)).toEqual([]);
    expect(Object.keys(mapping).filter((k) => !boxes.some((b) => b.text === k))).toEqual([]);
  });

  it('reads every evidence item of the file as a known kind', () => {
    const invalid = Object.values(mapping)
      .flat()
      .filter((e) => e.kind === 'invalid');
    expect(invalid).toEqual([]);
  });

  it('ticks nothing when no evidence was collected', () => {
    const results = evaluate(boxes, mapping, {});
    const ticked = boxes.filter(
      (b) => results.get(b.text)?.ticked && !mapping[b.text]?.every((e) => e.kind === 'file'),
    );
    expect(ticked.map((b) => b.text)).toEqual([]);
  });

  it('ticks a test-backed box only when every matching test passed, and not when none matched', () => {
    const only = [box('Lockout enforced', 'TASK 1.3', 'Code Implementation')];
    const rules = parseMapping({ 'Lockout enforced': [{ test: 'locks after the threshold' }] });
    const passed = evaluate(only, rules, jestRun([['lockout locks after the threshold: 423', 'passed']]));
    expect(passed.get('Lockout enforced')?.ticked).toBe(true);
    const oneFailed = evaluate(
      only,
      rules,
      jestRun([
        ['lockout locks after the threshold: 423', 'passed'],
        ['lockout locks after the threshold for unknown emails', 'failed'],
      ]),
    );
    expect(oneFailed.get('Lockout enforced')?.ticked).toBe(false);
    expect(evaluate(only, rules, jestRun([['something else', 'passed']])).get('Lockout enforced')?.ticked).toBe(false);
  });

  it('ticks the sign-off box only when every other box of its task is ticked', () => {
    const task = [box('A', 'TASK 9', 'Scanning', 0), box('B', 'TASK 9', 'Sign-off', 1)];
    const rules: EvidenceMapping = parseMapping({ A: [{ test: '^a$' }], B: [{ boxes: 'section-others' }] });
    expect(evaluate(task, rules, jestRun([['a', 'passed']])).get('B')?.ticked).toBe(true);
    expect(evaluate(task, rules, jestRun([['a', 'failed']])).get('B')?.ticked).toBe(false);
  });

  it('does not pass scan boxes on a scan with HIGH findings or without a scan', () => {
    const only = [box('HIGH findings fixed', 'TASK 1.8', 'Remediation')];
    const rules = parseMapping({ 'HIGH findings fixed': [{ scan: 'no-high' }] });
    const summary = (high: number): GateContext => ({
      scan: {
        exitCode: high ? 1 : 0,
        outDir: join(ROOT, 'reports/security/x'),
        summary: scanSummary({ CRITICAL: 0, HIGH: high, MEDIUM: 0, LOW: 0, INFO: 0 }),
      },
    });
    expect(evaluate(only, rules, summary(0)).get('HIGH findings fixed')?.ticked).toBe(true);
    expect(evaluate(only, rules, summary(2)).get('HIGH findings fixed')?.ticked).toBe(false);
    expect(evaluate(only, rules, {}).get('HIGH findings fixed')?.ticked).toBe(false);
  });
});

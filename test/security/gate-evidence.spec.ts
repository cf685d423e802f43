import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Box {
  text: string;
  task: string | null;
  subsection: string | null;
}
interface Verdict {
  ticked: boolean;
  evidence: { pass: boolean; text: string }[];
}
interface Gate {
  parseChecklist(text: string): Box[];
  evaluate(boxes: Box[], mapping: Record<string, unknown[]>, ctx: Record<string, unknown>): Map<string, Verdict>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gate = require('../../scripts/gate.js') as Gate;
const root = join(__dirname, '../..');
const checklist = readFileSync(join(root, 'docs/gate-1-checklist.md'), 'utf8');
const mapping = (
  JSON.parse(readFileSync(join(root, 'docs/gate-1-evidence.json'), 'utf8')) as { boxes: Record<string, unknown[]> }
).boxes;

const jestRun = (tests: [string, string][]): Record<string, unknown> => ({
  jest: { ran: true, partial: false, tests: tests.map(([name, status]) => ({ name, status, file: 'x.spec.ts' })) },
});

describe('gate evidence mapping (docs/gate-1-evidence.json)', () => {
  const boxes = gate.parseChecklist(checklist);

  it('reads every box of the seed checklist, each under its task', () => {
    expect(boxes.length).toBe((checklist.match(/^- \[ \] /gm) ?? []).length);
    expect(boxes.every((b) => b.task !== null)).toBe(true);
  });

  it('maps evidence to every checklist box, and to nothing else', () => {
    expect(boxes.filter((b) => !(mapping[b.text]?.length > 0)).map((b) => b.text)).toEqual([]);
    expect(Object.keys(mapping).filter((k) => !boxes.some((b) => b.text === k))).toEqual([]);
  });

  it('ticks nothing when no evidence was collected', () => {
    const results = gate.evaluate(boxes, mapping, {});
    const ticked = boxes.filter(
      (b) => results.get(b.text)?.ticked && !mapping[b.text].every((e) => 'file' in (e as object)),
    );
    expect(ticked.map((b) => b.text)).toEqual([]);
  });

  it('ticks a test-backed box only when every matching test passed, and not when none matched', () => {
    const only = [{ text: 'Lockout enforced', task: 'TASK 1.3', subsection: 'Code Implementation' }];
    const rules = { 'Lockout enforced': [{ test: 'locks after the threshold' }] };
    const passed = gate.evaluate(only, rules, jestRun([['lockout locks after the threshold: 423', 'passed']]));
    expect(passed.get('Lockout enforced')?.ticked).toBe(true);
    const oneFailed = gate.evaluate(
      only,
      rules,
      jestRun([
        ['lockout locks after the threshold: 423', 'passed'],
        ['lockout locks after the threshold for unknown emails', 'failed'],
      ]),
    );
    expect(oneFailed.get('Lockout enforced')?.ticked).toBe(false);
    expect(gate.evaluate(only, rules, jestRun([['something else', 'passed']])).get('Lockout enforced')?.ticked).toBe(
      false,
    );
  });

  it('ticks the sign-off box only when every other box of its task is ticked', () => {
    const task = [
      { text: 'A', task: 'TASK 9', subsection: 'Scanning' },
      { text: 'B', task: 'TASK 9', subsection: 'Sign-off' },
    ];
    const rules = { A: [{ test: '^a$' }], B: [{ boxes: 'section-others' }] };
    expect(gate.evaluate(task, rules, jestRun([['a', 'passed']])).get('B')?.ticked).toBe(true);
    expect(gate.evaluate(task, rules, jestRun([['a', 'failed']])).get('B')?.ticked).toBe(false);
  });

  it('does not pass scan boxes on a scan with HIGH findings or without a scan', () => {
    const only = [{ text: 'HIGH findings fixed', task: 'TASK 1.8', subsection: 'Remediation' }];
    const rules = { 'HIGH findings fixed': [{ scan: 'no-high' }] };
    const summary = (high: number) => ({
      scan: {
        outDir: join(root, 'reports/security/x'),
        summary: {
          result: 'FAIL',
          target: 't',
          engine: 'local',
          durationSeconds: 1,
          counts: { CRITICAL: 0, HIGH: high, MEDIUM: 0, LOW: 0, INFO: 0 },
        },
      },
    });
    expect(gate.evaluate(only, rules, summary(0)).get('HIGH findings fixed')?.ticked).toBe(true);
    expect(gate.evaluate(only, rules, summary(2)).get('HIGH findings fixed')?.ticked).toBe(false);
    expect(gate.evaluate(only, rules, {}).get('HIGH findings fixed')?.ticked).toBe(false);
  });
});

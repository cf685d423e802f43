import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness';
import { DEFAULT_CHECKLIST, DEFAULT_EVIDENCE } from './args';
import { Box, parseChecklist, tagsOf } from './checklist';
import { GateContext } from './context';
import { parseMapping, readMapping } from './evidence';
import { evaluate, unknownTags } from './evaluate';
import { jestRun, ONE_PASSED, scanSummary } from './spec-fixtures';

const checklist = readFileSync(DEFAULT_CHECKLIST, 'utf8');
const mapping = readMapping(readFileSync(DEFAULT_EVIDENCE, 'utf8'));

const box = (id: string, text: string, task: string, subsection: string, index = 0): Box => ({
  id,
  text,
  task,
  subsection,
  index,
});

describe('gate evidence mapping (docs/gate-1-evidence.json)', () => {
  const boxes = parseChecklist(checklist);

  it('reads every box of the seed checklist, each under its task, with the id its numbering gives', () => {
    expect(boxes.length).toBe((checklist.match(/^- \[ \] /gm) ?? []).length);
    expect(boxes.every((b) => b.task !== null)).toBe(true);
    expect(new Set(boxes.map((b) => b.id)).size).toBe(boxes.length);
    const byId = Object.fromEntries(boxes.map((b) => [b.id, b.text]));
    expect(byId).toMatchObject({
      '1.1.1': 'Redis service running',
      '1.1.4': 'Redis connection documented',
      '1.6.2': 'Query timeouts set',
      '1.8.7': 'Security sign-off recorded',
      '1.completion.3': 'No high/critical vulnerabilities',
    });
  });

  it('maps evidence to every checklist box by id, written for that box text, and to nothing else', () => {
    expect(boxes.filter((b) => !((mapping[b.id]?.evidence.length ?? 0) > 0)).map((b) => b.id)).toEqual([]);
    expect(boxes.filter((b) => mapping[b.id]?.box !== b.text).map((b) => b.id)).toEqual([]);
    expect(Object.keys(mapping).filter((id) => !boxes.some((b) => b.id === id))).toEqual([]);
  });

  it('reads every evidence item of the file as a known kind: no title pattern, no source file', () => {
    const invalid = Object.values(mapping)
      .flatMap((m) => m.evidence)
      .filter((e) => e.kind === 'invalid');
    expect(invalid).toEqual([]);
    // A box's tests are its own: a tagged item names the box it stands under.
    const foreign = Object.entries(mapping).flatMap(([id, m]) =>
      m.evidence.filter((e) => e.kind === 'tagged' && e.id !== id).map(() => id),
    );
    expect(foreign).toEqual([]);
  });

  it('ticks nothing when no evidence was collected', () => {
    const results = evaluate(boxes, mapping, {});
    const ticked = boxes.filter(
      (b) => results.get(b.id)?.ticked && !mapping[b.id]!.evidence.every((e) => e.kind === 'file'),
    );
    expect(ticked.map((b) => b.id)).toEqual([]);
  });

  it('ticks a tagged box by the tag alone: a renamed test still counts, a deleted one fails naming the id', () => {
    const only = [box('1.3.5', 'Lockout enforced', 'TASK 1.3', 'Code Implementation')];
    const rules = parseMapping({ '1.3.5': { box: 'Lockout enforced', evidence: [{ tagged: '1.3.5', min: 2 }] } });
    const two = (a: string, b: string): GateContext =>
      jestRun([
        [`lockout ${a} [gate:1.3.5]`, 'passed'],
        [`lockout ${b} [gate:1.3.2] [gate:1.3.5]`, 'passed'],
      ]);
    expect(evaluate(only, rules, two('locks after the threshold', 'locks unknown emails')).get('1.3.5')?.ticked).toBe(
      true,
    );
    expect(evaluate(only, rules, two('refuses the sixth try', 'renamed entirely')).get('1.3.5')?.ticked).toBe(true);

    const gone = evaluate(only, rules, jestRun([['lockout locks after the threshold', 'passed']])).get('1.3.5');
    expect(gone?.ticked).toBe(false);
    expect(gone?.evidence[0]!.text).toMatch(/NO test tagged \[gate:1\.3\.5\] ran/);

    const oneLeft = evaluate(only, rules, jestRun([['lockout x [gate:1.3.5]', 'passed']])).get('1.3.5');
    expect(oneLeft?.ticked).toBe(false);
    expect(oneLeft?.evidence[0]!.text).toMatch(/\[gate:1\.3\.5\]: only 1 ran, the evidence expects at least 2/);

    const failed = jestRun([
      ['lockout a [gate:1.3.5]', 'passed'],
      ['lockout b [gate:1.3.5]', 'failed'],
    ]);
    expect(evaluate(only, rules, failed).get('1.3.5')?.ticked).toBe(false);
    // A tag is a whole id: [gate:1.3.50] is not [gate:1.3.5].
    expect(tagsOf('x [gate:1.3.50] [gate:1.completion.2]')).toEqual(['1.3.50', '1.completion.2']);
  });

  it('fails a box whose checklist text no longer matches the text its evidence was written for', () => {
    const moved = [box('1.3.5', 'Lockout enforced everywhere', 'TASK 1.3', 'Code Implementation')];
    const rules = parseMapping({ '1.3.5': { box: 'Lockout enforced', evidence: [{ tagged: '1.3.5' }] } });
    const verdict = evaluate(moved, rules, jestRun([['x [gate:1.3.5]', 'passed']])).get('1.3.5');
    expect(verdict?.ticked).toBe(false);
    expect(verdict?.evidence[0]!.text).toMatch(/was written for "Lockout enforced"/);
  });

  it('names tags of the run that no box has', () => {
    const only = [box('1.3.5', 'Lockout enforced', 'TASK 1.3', 'Code Implementation')];
    expect(unknownTags(only, jestRun([['x [gate:1.3.5] [gate:1.3.99]', 'passed']]))).toEqual([
      { tag: '[gate:1.3.99]', test: 'x [gate:1.3.5] [gate:1.3.99] [x.spec.ts]' },
    ]);
  });

  it('ticks the sign-off box only when every other box of its task is ticked', () => {
    const task = [box('9.1', 'A', 'TASK 9', 'Scanning', 0), box('9.2', 'B', 'TASK 9', 'Sign-off', 1)];
    const rules = parseMapping({
      '9.1': { box: 'A', evidence: [{ tagged: '9.1' }] },
      '9.2': { box: 'B', evidence: [{ boxes: 'section-others' }] },
    });
    expect(evaluate(task, rules, jestRun([['a [gate:9.1]', 'passed']])).get('9.2')?.ticked).toBe(true);
    expect(evaluate(task, rules, jestRun([['a [gate:9.1]', 'failed']])).get('9.2')?.ticked).toBe(false);
  });

  it('does not pass scan boxes on a scan with HIGH findings or without a scan', () => {
    const only = [box('1.8.3', 'HIGH findings fixed', 'TASK 1.8', 'Remediation')];
    const rules = parseMapping({ '1.8.3': { box: 'HIGH findings fixed', evidence: [{ scan: 'no-high' }] } });
    const summary = (high: number): GateContext => ({
      scan: {
        exitCode: high ? 1 : 0,
        outDir: join(ROOT, 'reports/security/x'),
        summary: scanSummary({ CRITICAL: 0, HIGH: high, MEDIUM: 0, LOW: 0, INFO: 0 }),
      },
    });
    expect(evaluate(only, rules, summary(0)).get('1.8.3')?.ticked).toBe(true);
    expect(evaluate(only, rules, summary(2)).get('1.8.3')?.ticked).toBe(false);
    expect(evaluate(only, rules, {}).get('1.8.3')?.ticked).toBe(false);
  });

  it('in an evidence-only run, defers the scan and instance boxes (never ticks them) and checks the rest', () => {
    const ctx: GateContext = {
      // As many passing proofs of each box as its evidence asks for.
      ...jestRun(
        boxes.flatMap((b) => {
          const min = Math.max(1, ...mapping[b.id]!.evidence.map((e) => (e.kind === 'tagged' ? e.min : 1)));
          return Array.from({ length: min }, (_, i) => [`proof ${i} [gate:${b.id}]`, 'passed'] as [string, string]);
        }),
      ),
      mode: 'evidence-only',
    };
    ctx.jest!.totals = ONE_PASSED;
    const results = evaluate(boxes, mapping, ctx);
    const open = boxes.filter((b) => !results.get(b.id)?.ticked && !results.get(b.id)?.deferred);
    expect(open.map((b) => b.id)).toEqual([]);
    const deferred = boxes.filter((b) => results.get(b.id)?.deferred).map((b) => b.id);
    // Every box with scan or instance evidence, and the boxes over them; nothing else.
    expect(deferred).toEqual(
      expect.arrayContaining(['1.1.1', '1.2.3', '1.8.1', '1.8.7', '1.completion.1', '1.completion.3']),
    );
    for (const id of deferred) {
      const kinds = mapping[id]!.evidence.map((e) => e.kind);
      expect(kinds.some((k) => k === 'scan' || k === 'instance' || k === 'boxes')).toBe(true);
    }
    expect(boxes.filter((b) => results.get(b.id)?.ticked && results.get(b.id)?.deferred)).toEqual([]);

    // One failing proof makes its box open, not deferred.
    const failing: GateContext = {
      ...ctx,
      jest: {
        ...ctx.jest!,
        tests: ctx.jest!.tests.map((t) => (t.name.includes('[gate:1.2.3]') ? { ...t, status: 'failed' } : t)),
      },
    };
    expect(evaluate(boxes, mapping, failing).get('1.2.3')).toMatchObject({ ticked: false, deferred: false });
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../harness';
import { SeverityCounts } from '../scan/findings';
import { Box, gateTag, tagsOf } from './checklist';
import { GateContext } from './context';
import { Evidence } from './evidence';
import { globFiles } from './files';

/** One evidence item's verdict, with the figures that justify it. */
export interface Check {
  pass: boolean;
  /** Not checked in this mode (evidence-only): the full gate checks it. Never a pass. */
  deferred?: boolean;
  text: string;
}

/** Where a box sits among the others (for `boxes` evidence) and what has been ticked so far. */
export interface BoxScope {
  box: Box;
  boxes: readonly Box[];
  /** Ids of the boxes ticked so far, and of those deferred to the full gate. */
  ticked: ReadonlySet<string>;
  deferred: ReadonlySet<string>;
}

const rel = (p: string): string => relative(ROOT, p);

export const formatSeverities = (c: SeverityCounts): string =>
  `CRITICAL ${c.CRITICAL}, HIGH ${c.HIGH}, MEDIUM ${c.MEDIUM}, LOW ${c.LOW}, INFO ${c.INFO}`;

/** At least `min` tests tagged `[gate:<id>]` ran, and every one of them passed. */
function checkTagged(id: string, min: number, ctx: GateContext): Check {
  const tag = gateTag(id);
  if (!ctx.jest?.ran)
    return { pass: false, text: `tests ${tag}: the test suites did not run (${ctx.jest?.missing ?? 'no results'})` };
  const matches = ctx.jest.tests.filter((t) => tagsOf(t.name).includes(id));
  if (matches.length === 0)
    return { pass: false, text: `tests ${tag}: NO test tagged ${tag} ran (deleted or renamed away?)` };
  const failed = matches.filter((t) => t.status !== 'passed');
  const shown = (failed.length ? failed : matches).slice(0, 3).map((t) => `"${t.name}" ${t.status}`);
  const more = matches.length > 3 ? ` (+${matches.length - 3} more)` : '';
  const files = [...new Set(matches.map((t) => t.file))].join(', ');
  if (failed.length)
    return {
      pass: false,
      text: `tests ${tag}: ${failed.length} of ${matches.length} not passed: ${shown.join('; ')}${more} [${files}]`,
    };
  if (matches.length < min)
    return {
      pass: false,
      text: `tests ${tag}: only ${matches.length} ran, the evidence expects at least ${min}: ${shown.join('; ')} [${files}]`,
    };
  return { pass: true, text: `tests ${tag}: ${matches.length} passed: ${shown.join('; ')}${more} [${files}]` };
}

function checkFile(path: string, contains: string | undefined): Check {
  const files = globFiles(path);
  if (files.length === 0) return { pass: false, text: `file ${path}: missing` };
  if (contains === undefined) return { pass: true, text: `file ${files.map(rel).join(', ')} exists` };
  const re = new RegExp(contains);
  const hit = files.find((f) => re.test(readFileSync(f, 'utf8')));
  return hit
    ? { pass: true, text: `file ${rel(hit)} contains /${contains}/` }
    : { pass: false, text: `file ${path}: does not contain /${contains}/` };
}

const deferred = (what: string): Check => ({
  pass: false,
  deferred: true,
  text: `${what}: deferred to the full gate (npm run gate), not checked in the evidence-only run`,
});

function checkScan(item: Extract<Evidence, { kind: 'scan' }>, ctx: GateContext): Check {
  if (ctx.mode === 'evidence-only') return deferred(`scan ${item.check}`);
  const s = ctx.scan?.summary;
  if (!ctx.scan || !s) return { pass: false, text: `scan ${item.check}: no scan ran in this gate run` };
  const { outDir } = ctx.scan;
  const where = rel(outDir);
  const complete = !s.result.startsWith('INCOMPLETE');
  const clean = s.counts.CRITICAL + s.counts.HIGH === 0;
  const figures = `${s.engine}, ${s.durationSeconds} s, ${formatSeverities(s.counts)}`;
  switch (item.check) {
    case 'executed': {
      const engineOk = !item.requireEngine || s.engine.startsWith(item.requireEngine);
      const what = s.engine.startsWith('zap')
        ? 'OWASP ZAP API scan executed'
        : 'OWASP ZAP NOT run (no Docker engine); its substitute, wapiti + sqlmap, executed';
      return { pass: complete && engineOk, text: `${what} against ${s.target}: ${figures}; ${s.result}` };
    }
    case 'report-exported': {
      const files = ['summary.json', 'report.md'].filter((f) => existsSync(join(outDir, f)));
      return { pass: files.length === 2, text: `reports exported: ${files.map((f) => `${where}/${f}`).join(', ')}` };
    }
    case 'no-high':
      return {
        pass: complete && s.counts.HIGH === 0,
        text: `HIGH findings in this run: ${s.counts.HIGH} (${where}/summary.json)`,
      };
    case 'no-critical':
      return {
        pass: complete && s.counts.CRITICAL === 0,
        text: `CRITICAL findings in this run: ${s.counts.CRITICAL} (${where}/summary.json)`,
      };
    case 'no-high-critical':
      return {
        pass: complete && clean,
        text: `HIGH+CRITICAL findings: ${s.counts.HIGH + s.counts.CRITICAL}; ${figures}`,
      };
    case 'rerun-clean': {
      const earlier = ctx.earlierScans ?? [];
      const shown = earlier.length > 3 ? [...earlier.slice(0, 2), `${earlier.length - 2} more`] : earlier;
      const before = earlier.length
        ? `re-runs ${earlier.length} earlier scan report(s): ${shown.join(', ')}`
        : 'no earlier scan report exists (reports/security/, reports/gate/, evidence/gate-1/gate/): nothing was re-run';
      return {
        pass: complete && clean && earlier.length > 0,
        text: `this run (${where}) is ${clean ? 'clean' : 'NOT clean'} and ${before}`,
      };
    }
    case 'positive-control':
      return ctx.positiveControl
        ? { pass: ctx.positiveControl.passed, text: ctx.positiveControl.text }
        : { pass: false, text: 'positive control not run' };
    case 'archived':
      return ctx.archive
        ? {
            pass: true,
            text: `archived to ${ctx.archive.files.join(', ')} (sha256 ${ctx.archive.sha256.slice(0, 16)}…)`,
          }
        : { pass: false, text: 'no scan report archived' };
  }
}

function checkInstance(item: Extract<Evidence, { kind: 'instance' }>, ctx: GateContext): Check {
  if (ctx.mode === 'evidence-only') return deferred(`instance ${item.check}`);
  const i = ctx.instance;
  if (!i) return { pass: false, text: `instance ${item.check}: no instance was started in this gate run` };
  switch (item.check) {
    case 'migrated':
      return {
        pass: i.migrated,
        text: `fresh database migrated with prisma migrate deploy: ${i.migrated ? 'yes' : 'no'}`,
      };
    case 'ready':
      return { pass: i.ready, text: `fresh instance /health/ready: ${i.ready ? '200' : 'not ready'}` };
    case 'log-clean':
      if (i.logClean === null) return { pass: false, text: 'instance log not checked (no scan ran)' };
      return {
        pass: i.logClean,
        text: `instance log after the scan: ${i.logLines} lines, ${i.leakedCount} secret/password/token value(s) found, ${i.serverErrors} 5xx answer(s) logged`,
      };
  }
}

function checkJest(ctx: GateContext): Check {
  const t = ctx.jest?.totals;
  if (!ctx.jest || !t)
    return { pass: false, text: `the test suites did not run (${ctx.jest?.missing ?? 'no results'})` };
  const { partial } = ctx.jest;
  const pass = ctx.jest.ran && !partial && t.failed === 0 && t.failedSuites === 0 && t.suitesWithRuntimeErrors === 0;
  const sources = ctx.jest.sources?.length ? ` [${ctx.jest.sources.join(', ')}]` : '';
  return {
    pass,
    text: `jest: ${t.passed}/${t.tests} tests passed, ${t.failed} failed, ${t.skipped} skipped, ${t.suites} suites (${t.failedSuites} failed)${partial ? '; PARTIAL run' : ''}${ctx.jest.ran ? '' : `; MISSING ${ctx.jest.missing}`}${sources}`,
  };
}

function groupOf(item: Extract<Evidence, { kind: 'boxes' }>, { box, boxes }: BoxScope): readonly Box[] {
  switch (item.group) {
    case 'section-others':
      return boxes.filter((b) => b.task === box.task && b !== box);
    case 'all-tasks':
      return boxes.filter((b) => /^TASK /.test(b.task ?? ''));
    case 'verification':
      return boxes.filter((b) => /^TASK /.test(b.task ?? '') && /^(Verification|Validation)/.test(b.subsection ?? ''));
  }
}

function checkBoxes(item: Extract<Evidence, { kind: 'boxes' }>, scope: BoxScope): Check {
  const group = groupOf(item, scope);
  const waiting = group.filter((b) => !scope.ticked.has(b.id));
  const open = waiting.filter((b) => !scope.deferred.has(b.id));
  const list = (some: Box[]): string =>
    some
      .slice(0, 6)
      .map((b) => `${b.id} "${b.text}"`)
      .join(', ') + (some.length > 6 ? ', …' : '');
  const text = `${group.length - waiting.length}/${group.length} boxes ticked${open.length ? `; open: ${list(open)}` : ''}${
    waiting.length > open.length ? `; deferred to the full gate: ${list(waiting.filter((b) => !open.includes(b)))}` : ''
  }`;
  if (open.length === 0 && waiting.length > 0) return { pass: false, deferred: true, text };
  return { pass: open.length === 0, text };
}

/** The verdict of one evidence item, its note appended. */
export function checkEvidence(item: Evidence, scope: BoxScope, ctx: GateContext): Check {
  const result = ((): Check => {
    switch (item.kind) {
      case 'tagged':
        return checkTagged(item.id, item.min, ctx);
      case 'file':
        return checkFile(item.path, item.contains);
      case 'scan':
        return checkScan(item, ctx);
      case 'instance':
        return checkInstance(item, ctx);
      case 'jest':
        return checkJest(ctx);
      case 'boxes':
        return checkBoxes(item, scope);
      case 'invalid':
        return { pass: false, text: item.reason };
    }
  })();
  return item.note ? { ...result, text: `${result.text} (${item.note})` } : result;
}

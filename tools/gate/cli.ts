/**
 * `npm run gate`: one command that produces the evidence and the signed checklist.
 *
 *   node --import tsx tools/gate/cli.ts [--checklist FILE] [--evidence FILE] [--offline-engine PATH]
 *        [--jest-args="<paths/patterns>"] [--skip-tests] [--skip-scan]
 *
 * 1. builds (`npm run build`), 2. runs Jest with --json (reports/gate/jest.json), 3. starts a fresh
 * instance on a fresh database (tools/instance/), 4. runs the DAST scan against it (tools/scan/),
 * 5. checks that instance's whole log for secrets, passwords and tokens, 6. runs the scan's
 * positive control, 7. evaluates the evidence file against the checklist and writes
 * reports/gate-1.md (+ reports/gate/evidence.json). A box is ticked only when every evidence item
 * mapped to it passed. Exit 0 only when every box is ticked; 2 on a usage error.
 *
 * reports/ is ignored by git: a gate run changes no tracked file. `--archive DIR` also copies the
 * signed-off report and its evidence into DIR (evidence/gate-1 holds the committed copy).
 *
 * --jest-args/--skip-tests/--skip-scan exist for iterating on the gate itself; boxes whose evidence
 * did not run stay unticked, so such a run can never pass.
 *
 * --evidence-only (CI, after `npm test` and `npm run test:topologies`): reads the JSON results those
 * runs' reporter wrote (reports/jest/), checks every box whose evidence is tests or documents, and
 * reports the boxes that need the scan or the gate's own instance as deferred to the full gate.
 * Exit 1 when any box is open (not ticked and not deferred) or a test carries an unknown tag.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ROOT } from '../harness';
import { instanceOptionsFrom } from '../instance/options';
import { GATE_USAGE, GateOptions, parseGateArgs } from './args';
import { parseChecklist } from './checklist';
import { GateContext } from './context';
import { earlierScanReports } from './earlier-scans';
import { evaluate, unknownTags, Verdict } from './evaluate';
import { readMapping } from './evidence';
import { runInstanceAndScan } from './instance-scan';
import { JEST_RESULTS, readJestResults, runJest } from './jest-run';
import { archiveScan, evidenceJson, render } from './report';
import { runStreaming } from './run';
import { collectVersions, gitCommit, Signoff } from './signoff';

const GATE_DIR = join(ROOT, 'reports/gate');
const REPORT = join(ROOT, 'reports/gate-1.md');
const EVIDENCE_ONLY_REPORT = join(GATE_DIR, 'evidence-only.md');

const log = (line: string): void => void process.stderr.write(`gate: ${line}\n`);

async function gate(opts: GateOptions): Promise<number> {
  // Read the inputs first: a wrong path fails in a second, not after the whole suite.
  const checklist = readFileSync(opts.checklist, 'utf8');
  const mapping = readMapping(readFileSync(opts.evidence, 'utf8'));
  const boxes = parseChecklist(checklist);
  const unknown = Object.keys(mapping).filter((id) => !boxes.some((b) => b.id === id));
  if (unknown.length) log(`evidence mapped to box ids not in the checklist: ${unknown.join(', ')}`);

  mkdirSync(GATE_DIR, { recursive: true });
  if (opts.evidenceOnly) return evidenceOnly(opts, checklist, boxes, mapping);
  mkdirSync(join(ROOT, 'reports/security'), { recursive: true });
  if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync(opts.offlineEngine)) {
    process.env.PRISMA_SCHEMA_ENGINE_BINARY = opts.offlineEngine;
    log(`Prisma schema engine: ${opts.offlineEngine} (--offline-engine)`);
  }
  const started = Date.now();

  log('building');
  if ((await runStreaming('npm', ['run', 'build'])).code !== 0) {
    log('build failed');
    return 1;
  }

  const instanceOptions = instanceOptionsFrom(process.env, { outliveParent: false });
  const ctx: GateContext = { mode: 'full' };
  if (!opts.skipTests) ctx.jest = await runJest(opts.jestArgs, log);
  ctx.earlierScans = earlierScanReports(); // before this run's scan: what it re-runs
  if (!opts.skipScan) Object.assign(ctx, await runInstanceAndScan(instanceOptions, log));
  ctx.archive = archiveScan(ctx.scan, GATE_DIR);

  const results = evaluate(boxes, mapping, ctx);
  const orphans = unknownTags(boxes, ctx);
  const tickedCount = [...results.values()].filter((r) => r.ticked).length;
  const signoff: Signoff = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    passed: tickedCount === boxes.length && orphans.length === 0,
    tickedCount,
    versions: await collectVersions(ctx, instanceOptions.adminDatabaseUrl),
  };
  writeFileSync(REPORT, render(checklist, boxes, results, ctx, signoff, opts));
  writeFileSync(join(GATE_DIR, 'evidence.json'), evidenceJson(boxes, results, ctx, signoff));

  if (opts.archive) archiveReport(opts.archive);

  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(
    `\nGate 1: ${tickedCount}/${boxes.length} boxes ticked in ${seconds} s -> ${relative(ROOT, REPORT)}\n`,
  );
  printOpen(boxes, results, orphans);
  process.stdout.write(signoff.passed ? 'GATE 1 PASSED\n' : 'GATE 1 NOT PASSED\n');
  return signoff.passed ? 0 : 1;
}

function printOpen(
  boxes: ReturnType<typeof parseChecklist>,
  results: Map<string, Verdict>,
  orphans: ReturnType<typeof unknownTags>,
): void {
  for (const b of boxes) {
    const v = results.get(b.id);
    if (!v || v.ticked) continue;
    process.stdout.write(
      `  [${v.deferred ? '~' : ' '}] ${b.id} ${b.text}${v.deferred ? ' (deferred to the full gate)' : ''}\n`,
    );
    if (!v.deferred)
      for (const e of v.evidence.filter((x) => !x.pass && !x.deferred)) process.stdout.write(`        ${e.text}\n`);
  }
  for (const o of orphans) process.stdout.write(`  unknown tag ${o.tag} (no such box): ${o.test}\n`);
}

/** CI: the evidence of the Jest runs that already happened; the scan and instance boxes are deferred. */
async function evidenceOnly(
  opts: GateOptions,
  checklist: string,
  boxes: ReturnType<typeof parseChecklist>,
  mapping: ReturnType<typeof readMapping>,
): Promise<number> {
  const ctx: GateContext = { mode: 'evidence-only', jest: readJestResults(opts.jestResults) };
  const results = evaluate(boxes, mapping, ctx);
  const orphans = unknownTags(boxes, ctx);
  const all = [...results.values()];
  const tickedCount = all.filter((r) => r.ticked).length;
  const deferredCount = all.filter((r) => r.deferred).length;
  const openCount = boxes.length - tickedCount - deferredCount;
  const signoff: Signoff = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    passed: false, // never a gate verdict: the scan has not run
    tickedCount,
    versions: await collectVersions(ctx, instanceOptionsFrom(process.env, { outliveParent: false }).adminDatabaseUrl),
  };
  writeFileSync(EVIDENCE_ONLY_REPORT, render(checklist, boxes, results, ctx, signoff, opts));
  writeFileSync(join(GATE_DIR, 'evidence-only.json'), evidenceJson(boxes, results, ctx, signoff));
  const ok = openCount === 0 && orphans.length === 0;
  process.stdout.write(
    `\nGate 1 evidence (tests and documents of ${ctx.jest?.sources?.join(', ') || 'no Jest results'}): ` +
      `${tickedCount} ticked, ${deferredCount} deferred to the full gate (DAST scan, gate instance), ${openCount} open` +
      ` -> ${relative(ROOT, EVIDENCE_ONLY_REPORT)}\n`,
  );
  printOpen(boxes, results, orphans);
  process.stdout.write(ok ? 'GATE 1 EVIDENCE OK (scan boxes deferred to npm run gate)\n' : 'GATE 1 EVIDENCE FAILED\n');
  return ok ? 0 : 1;
}

/** `--archive DIR`: the report and the evidence it cites, copied as they are (the sign-off is inside). */
function archiveReport(dir: string): void {
  const files: [string, string][] = [[REPORT, 'gate-1.md']];
  for (const name of ['evidence.json', 'dast-summary.json', 'dast-report.md']) {
    files.push([join(GATE_DIR, name), join('gate', name)]);
  }
  for (const results of Object.values(JEST_RESULTS)) files.push([results, join('jest', basename(results))]);
  mkdirSync(join(dir, 'gate'), { recursive: true });
  mkdirSync(join(dir, 'jest'), { recursive: true });
  for (const [from, to] of files) if (existsSync(from)) copyFileSync(from, join(dir, to));
  log(`archived the signed-off report to ${relative(process.cwd(), dir) || dir}`);
}

async function main(): Promise<number> {
  let command;
  try {
    command = parseGateArgs(process.argv.slice(2));
  } catch (error) {
    log((error as Error).message);
    process.stderr.write(`${GATE_USAGE}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${GATE_USAGE}\n`);
    return 0;
  }
  return gate(command.options);
}

// Ctrl-C: exit through process.exit, so the harness kills every process group the gate started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);

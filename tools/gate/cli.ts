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
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../harness';
import { instanceOptionsFrom } from '../instance/options';
import { GATE_USAGE, GateOptions, parseGateArgs } from './args';
import { parseChecklist } from './checklist';
import { GateContext } from './context';
import { evaluate } from './evaluate';
import { readMapping } from './evidence';
import { runInstanceAndScan } from './instance-scan';
import { runJest } from './jest-run';
import { archiveScan, evidenceJson, render } from './report';
import { runStreaming } from './run';
import { collectVersions, gitCommit, Signoff } from './signoff';

const GATE_DIR = join(ROOT, 'reports/gate');
const REPORT = join(ROOT, 'reports/gate-1.md');

const log = (line: string): void => void process.stderr.write(`gate: ${line}\n`);

async function gate(opts: GateOptions): Promise<number> {
  // Read the inputs first: a wrong path fails in a second, not after the whole suite.
  const checklist = readFileSync(opts.checklist, 'utf8');
  const mapping = readMapping(readFileSync(opts.evidence, 'utf8'));
  const boxes = parseChecklist(checklist);
  const unknown = Object.keys(mapping).filter((k) => !boxes.some((b) => b.text === k));
  if (unknown.length) log(`evidence mapped to lines not in the checklist: ${unknown.join('; ')}`);

  mkdirSync(GATE_DIR, { recursive: true });
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
  const ctx: GateContext = {};
  if (!opts.skipTests) ctx.jest = await runJest(opts.jestArgs, GATE_DIR, log);
  if (!opts.skipScan) Object.assign(ctx, await runInstanceAndScan(instanceOptions, log));
  ctx.hadArchive = existsSync(join(GATE_DIR, 'dast-summary.json')); // a scan archived by an earlier gate run
  ctx.archive = archiveScan(ctx.scan, GATE_DIR);

  const results = evaluate(boxes, mapping, ctx);
  const tickedCount = [...results.values()].filter((r) => r.ticked).length;
  const signoff: Signoff = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    passed: tickedCount === boxes.length,
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
  for (const b of boxes.filter((box) => !results.get(box.text)?.ticked)) {
    process.stdout.write(`  [ ] ${b.task?.split(' — ')[0]}: ${b.text}\n`);
  }
  process.stdout.write(signoff.passed ? 'GATE 1 PASSED\n' : 'GATE 1 NOT PASSED\n');
  return signoff.passed ? 0 : 1;
}

/** `--archive DIR`: the report and the evidence it cites, copied as they are (the sign-off is inside). */
function archiveReport(dir: string): void {
  const files: [string, string][] = [[REPORT, 'gate-1.md']];
  for (const name of ['evidence.json', 'jest.json', 'dast-summary.json', 'dast-report.md']) {
    files.push([join(GATE_DIR, name), join('gate', name)]);
  }
  mkdirSync(join(dir, 'gate'), { recursive: true });
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

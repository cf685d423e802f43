import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../harness';
import { JestRun } from './context';
import { runStreaming } from './run';

/** Where the Jest configs' JSON reporter (test/setup/json-results-reporter.js) writes each run. */
export const JEST_RESULTS = {
  main: join(ROOT, 'reports/jest/main.json'),
  topologies: join(ROOT, 'reports/jest/topologies.json'),
};
export const DEFAULT_JEST_RESULTS = [JEST_RESULTS.main, JEST_RESULTS.topologies];

/** The parts of a Jest JSON report read here (`jest --json`, or the reporter's file). */
export interface JestReport {
  /** Set by the reporter: what narrowed the run (paths, -t, ...); non-empty means partial. */
  selection?: string[];
  numTotalTestSuites: number;
  numFailedTestSuites: number;
  numRuntimeErrorTestSuites: number;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests?: number;
  testResults?: { name: string; assertionResults?: { fullName: string; status: string }[] }[];
}

/**
 * Jest runs as the gate's evidence: totals summed over the runs, and every test's full name and
 * status. A report that is missing (the run never finished) makes the whole `ran` false.
 */
export function jestRunFrom(
  reports: { file: string; report: JestReport | null }[],
  run: { exitCode: number | null; seconds: number; partial: boolean },
): JestRun {
  const present = reports.filter((r): r is { file: string; report: JestReport } => r.report !== null);
  const missing = reports.filter((r) => r.report === null).map((r) => relative(ROOT, r.file));
  const selections = present.flatMap((r) => r.report.selection ?? []);
  const sum = (f: (r: JestReport) => number): number => present.reduce((n, r) => n + f(r.report), 0);
  const tests = present.flatMap(({ report }) =>
    (report.testResults ?? []).flatMap((suite) =>
      (suite.assertionResults ?? []).map((a) => ({
        name: a.fullName,
        status: a.status,
        file: relative(ROOT, suite.name),
      })),
    ),
  );
  return {
    ran: present.length > 0 && missing.length === 0,
    sources: present.map((r) => relative(ROOT, r.file)),
    ...(missing.length ? { missing: `no results in ${missing.join(', ')}` } : {}),
    ...run,
    partial: run.partial || selections.length > 0,
    totals: present.length
      ? {
          suites: sum((r) => r.numTotalTestSuites),
          failedSuites: sum((r) => r.numFailedTestSuites),
          suitesWithRuntimeErrors: sum((r) => r.numRuntimeErrorTestSuites),
          tests: sum((r) => r.numTotalTests),
          passed: sum((r) => r.numPassedTests),
          failed: sum((r) => r.numFailedTests),
          skipped: sum((r) => r.numPendingTests + (r.numTodoTests ?? 0)),
        }
      : null,
    tests,
  };
}

function readReport(file: string): JestReport | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JestReport;
  } catch {
    return null;
  }
}

/** The results the Jest configs wrote (CI's `npm test` and `npm run test:topologies`), without running anything. */
export function readJestResults(files: string[]): JestRun {
  return jestRunFrom(
    files.map((file) => ({ file, report: readReport(file) })),
    { exitCode: null, seconds: 0, partial: false },
  );
}

/**
 * Runs Jest as README does (`jest --ci`, then the topology suites), or only `jestArgs` (partial),
 * and reads the JSON the configs' reporter wrote.
 */
export async function runJest(jestArgs: string[], log: (line: string) => void): Promise<JestRun> {
  const jest = join(ROOT, 'node_modules/.bin/jest');
  log(`running jest ${jestArgs.join(' ') || '(every suite, then the topology suites)'}`);
  const main = await runStreaming(jest, ['--ci', ...jestArgs]);
  const files = [JEST_RESULTS.main];
  let seconds = main.seconds;
  let exitCode = main.code;
  if (jestArgs.length === 0) {
    const topologies = await runStreaming(jest, ['--ci', '-c', join(ROOT, 'jest.topologies.config.js')]);
    files.push(JEST_RESULTS.topologies);
    seconds += topologies.seconds;
    exitCode = exitCode === 0 ? topologies.code : exitCode;
  }
  const reports = files.map((file) => ({ file, report: readReport(file) }));
  for (const r of reports) if (!r.report) log(`jest wrote no JSON report at ${relative(ROOT, r.file)}`);
  return jestRunFrom(reports, { exitCode, seconds, partial: jestArgs.length > 0 });
}

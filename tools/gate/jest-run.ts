import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../harness';
import { JestRun } from './context';
import { runStreaming } from './run';

/** The parts of Jest's --json report read here. */
export interface JestReport {
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

/** A Jest run as the gate's evidence: totals and every test's full name and status (null report: Jest wrote none). */
export function jestRunFrom(
  report: JestReport | null,
  run: { exitCode: number | null; seconds: number; partial: boolean },
): JestRun {
  const tests = (report?.testResults ?? []).flatMap((suite) =>
    (suite.assertionResults ?? []).map((a) => ({
      name: a.fullName,
      status: a.status,
      file: relative(ROOT, suite.name),
    })),
  );
  return {
    ran: report !== null,
    ...run,
    totals: report
      ? {
          suites: report.numTotalTestSuites,
          failedSuites: report.numFailedTestSuites,
          suitesWithRuntimeErrors: report.numRuntimeErrorTestSuites,
          tests: report.numTotalTests,
          passed: report.numPassedTests,
          failed: report.numFailedTests,
          skipped: report.numPendingTests + (report.numTodoTests ?? 0),
        }
      : null,
    tests,
  };
}

/** Runs Jest (every suite, or `jestArgs`) with --json into `outDir`/jest.json. */
export async function runJest(jestArgs: string[], outDir: string, log: (line: string) => void): Promise<JestRun> {
  const output = join(outDir, 'jest.json');
  rmSync(output, { force: true });
  log(`running jest ${jestArgs.join(' ') || '(every suite)'}`);
  const result = await runStreaming(join(ROOT, 'node_modules/.bin/jest'), [
    '--ci',
    '--json',
    `--outputFile=${output}`,
    ...jestArgs,
  ]);
  let report: JestReport | null = null;
  try {
    report = JSON.parse(readFileSync(output, 'utf8')) as JestReport;
  } catch {
    log('jest wrote no JSON report');
  }
  return jestRunFrom(report, { exitCode: result.code, seconds: result.seconds, partial: jestArgs.length > 0 });
}

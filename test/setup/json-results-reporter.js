/* global module, process, require */
/* eslint-disable @typescript-eslint/no-require-imports -- Jest loads reporters as CommonJS */
/**
 * Writes the run's results as JSON (the shape of `jest --json`: totals, and each suite's tests by
 * full name and status) to `outputFile` (relative to the repository), so the run README documents
 * (`npm test`, `npm run test:topologies`) is itself the evidence `npm run gate -- --evidence-only`
 * reads: no second run. The previous file is removed when a run starts, so a run that dies before
 * its end leaves no stale results behind. `selection` records what narrowed the run (paths, -t,
 * --onlyChanged...): the gate treats such a run as partial.
 */
const { mkdirSync, rmSync, writeFileSync, renameSync } = require('node:fs');
const { dirname, isAbsolute, join } = require('node:path');

class JsonResultsReporter {
  constructor(globalConfig, options = {}) {
    this.globalConfig = globalConfig;
    const out = options.outputFile || 'reports/jest/results.json';
    this.outputFile = isAbsolute(out) ? out : join(globalConfig.rootDir || process.cwd(), out);
  }

  onRunStart() {
    rmSync(this.outputFile, { force: true });
  }

  selection() {
    const g = this.globalConfig;
    const patterns = g.testPathPatterns?.patterns ?? g.testPathPatterns ?? g.testPathPattern ?? [];
    const list = Array.isArray(patterns) ? patterns : [patterns].filter(Boolean);
    const narrowed = [];
    if (list.length) narrowed.push(`paths: ${list.map(String).join(' ')}`);
    if (g.nonFlagArgs?.length && !list.length) narrowed.push(`args: ${g.nonFlagArgs.join(' ')}`);
    if (g.testNamePattern) narrowed.push(`-t ${g.testNamePattern}`);
    for (const flag of ['onlyChanged', 'onlyFailures', 'findRelatedTests', 'lastCommit', 'bail'])
      if (g[flag]) narrowed.push(flag);
    if (g.changedSince) narrowed.push(`changedSince ${g.changedSince}`);
    if (g.shard) narrowed.push(`shard ${g.shard.shardIndex}/${g.shard.shardCount}`);
    return narrowed;
  }

  onRunComplete(_contexts, results) {
    const report = {
      startTime: results.startTime,
      endTime: Date.now(),
      success: results.success,
      selection: this.selection(),
      numTotalTestSuites: results.numTotalTestSuites,
      numFailedTestSuites: results.numFailedTestSuites,
      numRuntimeErrorTestSuites: results.numRuntimeErrorTestSuites,
      numTotalTests: results.numTotalTests,
      numPassedTests: results.numPassedTests,
      numFailedTests: results.numFailedTests,
      numPendingTests: results.numPendingTests,
      numTodoTests: results.numTodoTests,
      testResults: results.testResults.map((suite) => ({
        name: suite.testFilePath,
        status: suite.testExecError || suite.numFailingTests > 0 ? 'failed' : 'passed',
        assertionResults: suite.testResults.map((t) => ({ fullName: t.fullName, status: t.status })),
      })),
    };
    mkdirSync(dirname(this.outputFile), { recursive: true });
    const partial = `${this.outputFile}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(report) + '\n');
    renameSync(partial, this.outputFile);
  }
}
module.exports = JsonResultsReporter;

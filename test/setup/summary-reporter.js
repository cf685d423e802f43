/* global module, process */
/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after Jest's own summary,
 * so any CI log reader can count results without knowing Jest's format.
 */
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
    );
  }
}
module.exports = PlainSummaryReporter;

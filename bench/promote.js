'use strict';

/**
 * `npm run bench:promote [-- <run file>]`: copies a bench run (default: the newest,
 * bench/results/runs/latest.json) to the tracked summary, bench/results/latest.json, and keeps a
 * dated copy beside it (bench/results/<started at>.json). Runs themselves stay in the ignored
 * bench/results/runs/ folder, so `npm run bench` never changes a tracked file.
 */
const { copyFileSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = join(__dirname, '..');
const source = resolve(process.argv[2] ?? join(ROOT, 'bench/results/runs/latest.json'));
let run;
try {
  run = JSON.parse(readFileSync(source, 'utf8'));
} catch (error) {
  console.error(`bench:promote: cannot read a bench run from ${source} (${error.message}); run npm run bench first`);
  process.exit(1);
}
if (!run.startedAt || !run.scenarios) {
  console.error(`bench:promote: ${source} is not a bench run (no startedAt/scenarios)`);
  process.exit(1);
}
const stamp = run.startedAt.replace(/[:.]/g, '-');
copyFileSync(source, join(ROOT, 'bench/results', `${stamp}.json`));
copyFileSync(source, join(ROOT, 'bench/results/latest.json'));
console.log(`promoted ${source} to bench/results/latest.json and bench/results/${stamp}.json`);

/**
 * `npm run bench:promote [-- <run file>]`: makes a bench run (default: the newest,
 * bench/results/runs/latest.json) the tracked summary: bench/promoted/latest.json, a dated copy
 * beside it (bench/promoted/<started at>.json) and, when the run rendered the metrics dashboard,
 * bench/promoted/metrics-dashboard.html. Runs themselves stay in the ignored bench/results/
 * folder, so `npm run bench` never changes a tracked file; only this command, when asked, does.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../tools/harness';
import { asRun, PROMOTED_DIR, promotion, RUNS_LATEST } from './lib/results';

function main(): void {
  const { positionals } = parseArgs({ allowPositionals: true, strict: true, options: {} });
  if (positionals.length > 1) throw new Error('usage: npm run bench:promote [-- <run file>]');
  const source = resolve(positionals[0] ?? join(ROOT, RUNS_LATEST));
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(source, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read a bench run from ${source} (${(error as Error).message}); run npm run bench first`, {
      cause: error,
    });
  }
  const plan = promotion(asRun(parsed, source));
  // Everything is checked before anything is written.
  for (const { from } of plan.copies) {
    if (!existsSync(join(ROOT, from))) throw new Error(`the run's dashboard ${from} is missing`);
  }
  mkdirSync(join(ROOT, PROMOTED_DIR), { recursive: true });
  for (const { from, to } of plan.copies) copyFileSync(join(ROOT, from), join(ROOT, to));
  for (const { path, text } of plan.writes) writeFileSync(join(ROOT, path), text);
  const written = [...plan.writes.map((w) => w.path), ...plan.copies.map((c) => c.to)];
  console.log(`promoted ${relative(process.cwd(), source) || source} to ${written.join(', ')}`);
}

try {
  main();
} catch (error) {
  console.error(`bench:promote: ${(error as Error).message}`);
  process.exit(1);
}

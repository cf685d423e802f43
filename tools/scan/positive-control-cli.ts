/**
 * The DAST positive control on its own (`npm run gate` runs it after the real scan):
 *
 *   node --import tsx tools/scan/positive-control-cli.ts [--out DIR]
 *
 * Scans a deliberately vulnerable stand-in (string-built SQL on POST /v1/auth/login, 127.0.0.1 only,
 * a scratch database on SCAN_ADMIN_DATABASE_URL / DATABASE_URL / the local default, dropped after)
 * with the local engine and exits 0 only when the scan reported that CRITICAL SQL injection and
 * exited 1. SCAN_SQLMAP_TARGET_SECONDS defaults to 90 here.
 */
import { parseArgs } from 'node:util';
import { adminDatabaseUrlFrom } from '../instance/options';
import { budgetFromEnv, DEFAULT_BUDGET } from './args';
import { runPositiveControl } from './positive-control';

const say = (line: string): void => void process.stderr.write(`dast-positive-control: ${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: node --import tsx tools/scan/positive-control-cli.ts [--out DIR]\n');
    return 0;
  }
  const result = await runPositiveControl({
    out: values.out,
    adminDatabaseUrl: adminDatabaseUrlFrom(process.env),
    budget: budgetFromEnv(process.env, { ...DEFAULT_BUDGET, sqlmapTarget: 90 }),
    log: say,
  });
  process.stdout.write(`${result.text}\n`);
  return result.passed ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);

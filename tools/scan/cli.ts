/**
 * `npm run security:scan`: a DAST scan of a running gateway on this machine (127.0.0.1/localhost only).
 *
 *   node --import tsx tools/scan/cli.ts --url http://127.0.0.1:3000 [--token JWT] [--admin-token JWT]
 *        [--refresh-token T] [--out DIR] [--engine auto|zap|local] [--server-log FILE]
 *   (or SCAN_TARGET_URL, SCAN_BEARER_TOKEN, SCAN_ADMIN_TOKEN, SCAN_REFRESH_TOKEN, SCAN_OUTPUT_DIR,
 *    SCAN_ENGINE, SCAN_SERVER_LOG)
 *
 * Engine `zap` (chosen by `auto` when `docker info` succeeds): OWASP ZAP's API scan of /docs-json
 * with security/zap/rules.tsv. Engine `local`: wapiti (crawl + attack modules) and sqlmap against
 * the JSON bodies and path/query parameters listed in security/dast/targets.json. Severities follow
 * the one mapping in severity.ts. Prints a summary table. Exit: 0 clean, 1 any HIGH/CRITICAL
 * finding, 2 usage error, 3 the scan could not run or was incomplete.
 */
import { budgetFromEnv, parseScanArgs, SCAN_USAGE, UsageError } from './args';
import { printScanResult } from './report';
import { runScan } from './scan';

const say = (line: string): void => void process.stderr.write(`security-scan: ${line}\n`);

async function main(): Promise<number> {
  const command = parseScanArgs(process.argv.slice(2));
  if (command.kind === 'help') {
    process.stdout.write(`${SCAN_USAGE}\n`);
    return 0;
  }
  const outcome = await runScan(command.options, budgetFromEnv(process.env), say);
  if (!outcome.summary) {
    say(outcome.message ?? 'the scan could not run');
    return outcome.exitCode;
  }
  printScanResult(outcome.summary, outcome.outDir, process.stdout);
  return outcome.exitCode;
}

// Ctrl-C: exit through process.exit, so the harness kills the scanners' process groups.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      say(error.message);
      say('see --help');
      process.exit(2);
    }
    say(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(3);
  },
);

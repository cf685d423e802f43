/**
 * A fresh, throwaway gateway instance for DAST scans (scripts/start-instance.sh, stop-instance.sh):
 *
 *   node --import tsx tools/instance/cli.ts start [--state-dir DIR]   prints KEY=value lines (eval-able)
 *   node --import tsx tools/instance/cli.ts stop  DIR [--keep-logs]   stops everything, drops the database, removes DIR
 *
 * `start` leaves the instance running after it exits (see launchInstance in instance.ts); its pids,
 * database and secrets are in DIR/state.json (0600), nothing is written inside the repository. The
 * database is created through SCAN_ADMIN_DATABASE_URL, else DATABASE_URL, else the local default;
 * REDIS_URL is used only without redis-server on PATH; SCAN_PRODUCTION_LIMITS=1 keeps the rate
 * limits and lockout threshold at their defaults.
 */
import { INSTANCE_USAGE, InstanceUsageError, parseInstanceArgs } from './args';
import { createInstanceState, launchInstance, stopInstance } from './instance';
import { instanceOptionsFrom } from './options';
import { instanceVariables } from './state';

const log = (line: string): void => void process.stderr.write(`instance: ${line}\n`);

async function start(stateDir: string | undefined): Promise<void> {
  const options = instanceOptionsFrom(process.env, { outliveParent: true });
  const state = createInstanceState(options, stateDir);
  const abandon = (): void => void stopInstance(state.dir, { log }).finally(() => process.exit(130));
  process.once('SIGINT', abandon);
  process.once('SIGTERM', abandon);
  try {
    await launchInstance(state, options, log);
  } catch (error) {
    await stopInstance(state.dir, { log }).catch(() => undefined);
    throw error;
  }
  for (const [key, value] of Object.entries(instanceVariables(state))) process.stdout.write(`${key}=${value}\n`);
}

async function main(): Promise<void> {
  const command = parseInstanceArgs(process.argv.slice(2));
  if (command.kind === 'help') process.stdout.write(`${INSTANCE_USAGE}\n`);
  else if (command.kind === 'start') await start(command.stateDir);
  else await stopInstance(command.dir, { keepLogs: command.keepLogs, log });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof InstanceUsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

import { parseArgs } from 'node:util';

/** A command line that is not one of the two forms: exit code 2 with the usage. */
export class InstanceUsageError extends Error {}

export type InstanceCommand =
  { kind: 'start'; stateDir?: string } | { kind: 'stop'; dir: string; keepLogs: boolean } | { kind: 'help' };

export const INSTANCE_USAGE = `usage: node --import tsx tools/instance/cli.ts start [--state-dir DIR]   prints KEY=value lines (eval-able)
       node --import tsx tools/instance/cli.ts stop DIR [--keep-logs]    stops everything, drops the database, removes DIR
(scripts/start-instance.sh and scripts/stop-instance.sh run these)`;

/** `start [--state-dir DIR]` | `stop DIR [--keep-logs]` | `--help`; anything else throws with the usage. */
export function parseInstanceArgs(argv: string[]): InstanceCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'state-dir': { type: 'string' },
        'keep-logs': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new InstanceUsageError(`${(error as Error).message}\n${INSTANCE_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help) return { kind: 'help' };
  if (command === 'start' && rest.length === 0 && !values['keep-logs']) {
    return { kind: 'start', stateDir: values['state-dir'] };
  }
  const [dir] = rest;
  if (command === 'stop' && dir !== undefined && rest.length === 1 && values['state-dir'] === undefined) {
    return { kind: 'stop', dir, keepLogs: values['keep-logs'] };
  }
  throw new InstanceUsageError(INSTANCE_USAGE);
}

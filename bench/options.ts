import { parseArgs } from 'node:util';
import type { GatewayEnv, Settings } from './lib/context';

/** The scenarios, in the order a run takes them (outage last: it leaves the breaker open). */
export const SCENARIO_IDS = [
  'pipeline',
  'peer',
  'redis',
  'refresh',
  'flood',
  'metrics',
  'propagation',
  'webhooks',
  'soak',
  'attack',
  'outage',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchOptions {
  settings: Settings;
  /** The gateway's LOG_LEVEL. */
  logLevel: string;
  /** Extra gateway variables, for ablations. */
  gatewayEnv: GatewayEnv;
  /** Extra node flags for the gateway. */
  nodeArgs: string[];
  help: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench [-- options]     (node --import tsx bench/run.ts [options] after npm run build)

Each option also reads a variable (the option wins when both are given):
  --only <ids>          BENCH_ONLY          comma-separated scenarios, from: ${SCENARIO_IDS.join(', ')} (default: all)
  --duration <s>        BENCH_DURATION      seconds per measured run (default 5)
  --rounds <n>          BENCH_ROUNDS        measured rounds per variant (default 3)
  --warmup <s>          BENCH_WARMUP        seconds of the discarded warm-up run of each variant (default 2; 0: none)
  --connections <n>     BENCH_CONNECTIONS   autocannon connections for pipeline, peer and metrics (default 20)
  --log-level <level>   BENCH_LOG_LEVEL     the gateway's LOG_LEVEL (default info)
  --gateway-env <json>  BENCH_GATEWAY_ENV   extra gateway variables, e.g. '{"PASSWORD_HASH_CONCURRENCY":"1"}'
  --node-args <flags>   BENCH_NODE_ARGS     extra node flags for the gateway, e.g. '--require ./monitor.js'
  --soak <s>            BENCH_SOAK          seconds of the soak scenario's load (default 120)
  --profile             BENCH_PROFILE=1     run the gateway under --cpu-prof and print its top frames
  --help                                    this text
Servers: DATABASE_URL and REDIS_URL (default postgresql://postgres@127.0.0.1:5432/postgres, redis://127.0.0.1:6379).`;

function number(
  name: string,
  raw: string | undefined,
  fallback: number,
  { integer = false, min }: { integer?: boolean; min: number },
): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, not ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function scenarioIds(raw: string | undefined): string[] {
  const ids = (raw ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length) {
    throw new UsageError(`unknown scenario ${unknown.join(', ')}: the scenarios are ${SCENARIO_IDS.join(', ')}`);
  }
  return ids;
}

function gatewayVariables(raw: string | undefined): GatewayEnv {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError(`--gateway-env / BENCH_GATEWAY_ENV is not JSON: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('--gateway-env / BENCH_GATEWAY_ENV must be a JSON object of variables');
  }
  return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, String(value)]));
}

/** The bench's settings from its command line and BENCH_* variables; throws UsageError when one is wrong. */
export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        only: { type: 'string' },
        duration: { type: 'string' },
        rounds: { type: 'string' },
        warmup: { type: 'string' },
        soak: { type: 'string' },
        connections: { type: 'string' },
        'log-level': { type: 'string' },
        'gateway-env': { type: 'string' },
        'node-args': { type: 'string' },
        profile: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    settings: {
      duration: number('--duration / BENCH_DURATION', values.duration ?? env.BENCH_DURATION, 5, { min: 1 }),
      rounds: number('--rounds / BENCH_ROUNDS', values.rounds ?? env.BENCH_ROUNDS, 3, { integer: true, min: 1 }),
      connections: number('--connections / BENCH_CONNECTIONS', values.connections ?? env.BENCH_CONNECTIONS, 20, {
        integer: true,
        min: 1,
      }),
      warmup: number('--warmup / BENCH_WARMUP', values.warmup ?? env.BENCH_WARMUP, 2, { min: 0 }),
      soakSeconds: number('--soak / BENCH_SOAK', values.soak ?? env.BENCH_SOAK, 120, { min: 1 }),
      only: scenarioIds(values.only ?? env.BENCH_ONLY),
      profile: values.profile ?? env.BENCH_PROFILE === '1',
    },
    logLevel: values['log-level'] ?? (env.BENCH_LOG_LEVEL || 'info'),
    gatewayEnv: gatewayVariables(values['gateway-env'] ?? env.BENCH_GATEWAY_ENV),
    nodeArgs: (values['node-args'] ?? env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    help: values.help ?? false,
  };
}

import { parseArgs } from 'node:util';

/** A mistake in the command line or environment: exit code 2 with one line. */
export class UsageError extends Error {}

export type Engine = 'auto' | 'zap' | 'local';
const ENGINES: readonly Engine[] = ['auto', 'zap', 'local'];

export interface ScanOptions {
  /** The target's origin (scheme, host, port); 127.0.0.1/localhost only. */
  url: string;
  /** Bearer token of a user; the admin's when only that one is given. */
  token?: string;
  /** Bearer token of an admin; the user's when only that one is given. */
  adminToken?: string;
  refreshToken?: string;
  /** Report folder (default reports/security/<UTC timestamp>). */
  out?: string;
  engine: Engine;
  /** The scanned gateway's log: every 5xx it logs during the scan is a HIGH finding. */
  serverLog?: string;
}

export type ScanCommand = { kind: 'help' } | { kind: 'scan'; options: ScanOptions };

export const SCAN_USAGE = `usage: npm run security:scan -- --url http://127.0.0.1:PORT [--token JWT] [--admin-token JWT]
         [--refresh-token T] [--out DIR] [--engine auto|zap|local] [--server-log FILE]
  (or SCAN_TARGET_URL, SCAN_BEARER_TOKEN, SCAN_ADMIN_TOKEN, SCAN_REFRESH_TOKEN, SCAN_OUTPUT_DIR,
   SCAN_ENGINE, SCAN_SERVER_LOG; time budget: SCAN_WAPITI_MAX_SECONDS, SCAN_WAPITI_ATTACK_SECONDS,
   SCAN_SQLMAP_TARGET_SECONDS, SCAN_SQLMAP_LEVEL, SCAN_SQLMAP_RISK, SCAN_ZAP_MAX_SECONDS)
Exit: 0 clean, 1 any HIGH/CRITICAL finding, 2 usage error, 3 the scan could not run or was incomplete.`;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Flags win over the environment; a non-local target, a bad URL or engine is a UsageError. */
export function parseScanArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ScanCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'admin-token': { type: 'string' },
        'refresh-token': { type: 'string' },
        out: { type: 'string' },
        engine: { type: 'string' },
        'server-log': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const rawUrl = values.url ?? env.SCAN_TARGET_URL;
  if (!rawUrl) throw new UsageError('the target URL is required (--url or SCAN_TARGET_URL)');
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError('the target URL is not a URL');
  }
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new UsageError(`refusing to scan ${url.hostname}: only 127.0.0.1/localhost targets are allowed`);
  }
  const engine = values.engine ?? (env.SCAN_ENGINE || 'auto');
  if (!ENGINES.includes(engine as Engine)) throw new UsageError('--engine must be auto, zap or local');
  // An empty value (an unset shell variable passed on) counts as absent.
  const token = values.token || env.SCAN_BEARER_TOKEN || undefined;
  const adminToken = values['admin-token'] || env.SCAN_ADMIN_TOKEN || undefined;
  return {
    kind: 'scan',
    options: {
      url: url.origin,
      token: token ?? adminToken,
      adminToken: adminToken ?? token,
      refreshToken: values['refresh-token'] || env.SCAN_REFRESH_TOKEN || undefined,
      out: values.out || env.SCAN_OUTPUT_DIR || undefined,
      engine: engine as Engine,
      serverLog: values['server-log'] || env.SCAN_SERVER_LOG || undefined,
    },
  };
}

/** Time and depth limits of one scan. */
export interface ScanBudget {
  /** wapiti --max-scan-time (the run is cut 120 s later). */
  wapitiScan: number;
  /** wapiti --max-attack-time, per module. */
  wapitiAttack: number;
  /** Wall-clock limit of one sqlmap target (two run at a time). */
  sqlmapTarget: number;
  sqlmapLevel: number;
  sqlmapRisk: number;
  /** Wall-clock limit of the ZAP container. */
  zap: number;
}

export const DEFAULT_BUDGET: Readonly<ScanBudget> = {
  wapitiScan: 240,
  wapitiAttack: 60,
  sqlmapTarget: 120,
  sqlmapLevel: 3,
  sqlmapRisk: 2,
  zap: 900,
};

const BUDGET_VARIABLES: Record<keyof ScanBudget, string> = {
  wapitiScan: 'SCAN_WAPITI_MAX_SECONDS',
  wapitiAttack: 'SCAN_WAPITI_ATTACK_SECONDS',
  sqlmapTarget: 'SCAN_SQLMAP_TARGET_SECONDS',
  sqlmapLevel: 'SCAN_SQLMAP_LEVEL',
  sqlmapRisk: 'SCAN_SQLMAP_RISK',
  zap: 'SCAN_ZAP_MAX_SECONDS',
};

/** The budget from SCAN_* variables; a missing, non-numeric or non-positive value keeps the default. */
export function budgetFromEnv(env: NodeJS.ProcessEnv, defaults: Readonly<ScanBudget> = DEFAULT_BUDGET): ScanBudget {
  const budget = { ...defaults };
  for (const key of Object.keys(BUDGET_VARIABLES) as (keyof ScanBudget)[]) {
    const n = Number(env[BUDGET_VARIABLES[key]]);
    if (Number.isFinite(n) && n > 0) budget[key] = n;
  }
  return budget;
}

import type { BenchUser, TokenPair } from './gateway';
import type { Machine } from './machine';
import type { HangingProvider } from './provider';
import type { Database, Server } from './servers';

/** The settings of one run (from the command line and BENCH_* variables, see bench/options.ts). */
export interface Settings {
  /** Seconds per measured run. */
  duration: number;
  rounds: number;
  /** autocannon connections for the pipeline, peer and metrics scenarios. */
  connections: number;
  /** Seconds of the discarded warm-up run of each variant. */
  warmup: number;
  /** Seconds of the soak scenario's load. */
  soakSeconds: number;
  /** Scenario ids to run; empty: all. */
  only: string[];
  /** Run the gateway under --cpu-prof. */
  profile: boolean;
}

export type GatewayEnv = Record<string, string>;

/** What every run sets (bench/run.ts) and the scenarios read by name. */
export type RunGatewayEnv = GatewayEnv &
  Record<
    | 'DATABASE_URL'
    | 'REDIS_URL'
    | 'REDIS_KEY_PREFIX'
    | 'JWT_ACCESS_SECRET'
    | 'JWT_ISSUER'
    | 'JWT_AUDIENCE'
    | 'RATE_LIMIT_GLOBAL_LIMIT'
    | 'RATE_LIMIT_GLOBAL_TTL_SECONDS'
    | 'RATE_LIMIT_AUTH_LIMIT'
    | 'RATE_LIMIT_AUTH_TTL_SECONDS'
    | 'DB_POOL_MAX',
    string
  >;

/** Which routes the build serves (a scenario whose routes are missing is skipped, never estimated). */
export interface RoutesPresent {
  login: boolean;
  me: boolean;
  refresh: boolean;
  payments: boolean;
  paymentRead: boolean;
}

/** What every scenario is given. */
export interface BenchContext {
  runId: string;
  /** File names of this run's artefacts start with it: bench/results/runs/<stamp>… */
  stamp: string;
  settings: Settings;
  database: Database;
  provider: HangingProvider;
  gateway: Server;
  gatewayEnv: RunGatewayEnv;
  /** The run's extra node flags for the gateway (--node-args); a scenario's own gateway gets them too. */
  gatewayNodeArgs: string[];
  /** The gateway's RSS once it answered ready, in MiB. */
  gatewayBootRssMiB?: number;
  routes: RoutesPresent;
  log: (line: string) => void;
  authMissing: string;
  /** The peers' variables: the same Redis, database, secrets and limits as the gateway. */
  peerEnv: () => GatewayEnv;
  user?: BenchUser;
  session?: TokenPair;
}

/** A target a scenario checks, and whether it was met. */
export interface Target {
  text: string;
  value: number | string;
  met: boolean;
}

/** What a scenario returns (the run file stores it under scenarios.<id>, with title and seconds). */
export interface ScenarioResult<Figures = unknown> {
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  figures?: Figures;
  target?: Target;
  /** A second target from the same runs (pipeline: CPU per protected request). */
  cpuTarget?: Target;
  /** False when a run measured answers other than the expected ones. */
  valid?: boolean;
  ratio?: number;
}

export type Scenario = (ctx: BenchContext) => Promise<ScenarioResult>;

/** One scenario as the run file stores it. */
export type StoredScenario = ScenarioResult & { title: string; seconds?: number };

/** A run file: bench/results/runs/<stamp>.json (and, once promoted, bench/promoted/latest.json). */
export interface RunResult {
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Machine;
  settings: Settings & { gateway: GatewayEnv };
  routesPresent: RoutesPresent;
  /** The gateway's RSS once it answered ready, before any load, in MiB. */
  gatewayBootRssMiB?: number;
  scenarios: Record<string, StoredScenario>;
  profile?: { file: string; topFrames: unknown[]; byPackage: unknown[] };
}

import type { GatewayEnv, RunResult } from './context';

/**
 * Where results go. `npm run bench` writes only under RESULTS_DIR (ignored by git); `npm run
 * bench:promote` copies one run to the tracked files: TRACKED_LATEST, a dated copy in PROMOTED_DIR,
 * and the run's metrics dashboard to TRACKED_DASHBOARD. All paths are relative to the repository root.
 */
export const RESULTS_DIR = 'bench/results';
export const RUNS_DIR = 'bench/results/runs';
export const RUNS_LATEST = `${RUNS_DIR}/latest.json`;
export const PROMOTED_DIR = 'bench/promoted';
export const TRACKED_LATEST = `${PROMOTED_DIR}/latest.json`;
export const TRACKED_DASHBOARD = `${PROMOTED_DIR}/metrics-dashboard.html`;

/** A run's start time as a file name: 2026-11-30T08-36-14-429Z. */
export const stampOf = (iso: string): string => iso.replace(/[:.]/g, '-');

/** The gateway variables as a run file records them: secrets and server URLs replaced. */
export function redactSecrets(env: GatewayEnv): GatewayEnv {
  const secret = /SECRET|PEPPER|API_KEY|DATABASE_URL|REDIS_URL/;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, secret.test(k) ? '<random per run>' : v]));
}

/** A run file's text (what runs/ and the tracked copies hold). */
export const runJson = (run: unknown): string => JSON.stringify(run, null, 2) + '\n';

export interface Promotion {
  /** Files to write, with their text. */
  writes: { path: string; text: string }[];
  /** Files to copy as they are. */
  copies: { from: string; to: string }[];
}

/** Checks that `value` is a bench run file; returns it typed, or throws saying what is missing. */
export function asRun(value: unknown, source: string): RunResult {
  const run = value as Partial<RunResult> | null;
  if (!run || typeof run.startedAt !== 'string' || typeof run.scenarios !== 'object' || run.scenarios === null) {
    throw new Error(`${source} is not a bench run (no startedAt/scenarios)`);
  }
  return run as RunResult;
}

interface DashboardFigure {
  dashboard?: { status?: string; file?: string };
}

/**
 * What promoting `run` writes: the run as bench/promoted/latest.json and bench/promoted/<stamp>.json,
 * and, when its metrics scenario rendered a dashboard into runs/, that page as the tracked
 * bench/promoted/metrics-dashboard.html (the promoted JSON then names the tracked page).
 */
export function promotion(run: RunResult): Promotion {
  const copies: Promotion['copies'] = [];
  let promoted: RunResult = run;
  const metrics = run.scenarios.metrics;
  const dashboard = (metrics?.figures as DashboardFigure | undefined)?.dashboard;
  if (metrics && dashboard?.status === 'ok' && dashboard.file) {
    if (dashboard.file !== TRACKED_DASHBOARD) copies.push({ from: dashboard.file, to: TRACKED_DASHBOARD });
    promoted = {
      ...run,
      scenarios: {
        ...run.scenarios,
        metrics: {
          ...metrics,
          figures: { ...(metrics.figures as object), dashboard: { ...dashboard, file: TRACKED_DASHBOARD } },
        },
      },
    };
  }
  const text = runJson(promoted);
  return {
    writes: [
      { path: `${PROMOTED_DIR}/${stampOf(run.startedAt)}.json`, text },
      { path: TRACKED_LATEST, text },
    ],
    copies,
  };
}

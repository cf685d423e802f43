import { Pool } from 'pg';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { alternate, closedLoop, Medians, Run } from '../lib/load';
import { refreshChains } from '../lib/refresh-chain';
import { round } from '../lib/stats';

const CONCURRENCY = 50;

export interface RefreshFigures {
  concurrency: number;
  floorPoolSize: number;
  floor: Medians;
  refresh: Medians;
  p99Ratio: number;
  refreshFailures: Record<string, number>;
  runs: Record<'floor' | 'refresh', Run[]>;
}

/**
 * 4. Refresh rotation at concurrency 50: each of 50 workers rotates its own family (fresh,
 * unused token every request: the one the previous answer returned), beside the floor: a pg pool
 * of the gateway's DB_POOL_MAX running a single-row UPDATE … RETURNING at concurrency 50. Both are
 * timed by the same closed loop, alternating.
 */
export async function refresh(ctx: BenchContext): Promise<ScenarioResult<RefreshFigures>> {
  const { gateway, gatewayEnv, database, settings, log } = ctx;
  const user = ctx.user;
  if (!user) return { status: 'skipped', reason: ctx.authMissing };

  const poolSize = Number(gatewayEnv.DB_POOL_MAX ?? 10);
  const floorPool = new Pool({ connectionString: database.ownerUrl, max: poolSize });
  await floorPool.query('CREATE TABLE IF NOT EXISTS bench_floor (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0)');
  await floorPool.query('INSERT INTO bench_floor (id) SELECT generate_series(1, $1) ON CONFLICT DO NOTHING', [
    CONCURRENCY,
  ]);

  const refreshFailures: Record<string, number> = {};

  // Fresh families each round: a token in flight when the previous round stopped is spent.
  const refreshRound = async (seconds = settings.duration): Promise<Run> => {
    const chains = await refreshChains({
      gatewayUrl: gateway.url,
      user,
      concurrency: CONCURRENCY,
      cpuPid: gateway.pid,
      failures: refreshFailures,
    });
    return chains.run(seconds);
  };
  const floorRound = (seconds = settings.duration): Promise<Run> =>
    closedLoop({
      concurrency: CONCURRENCY,
      durationMs: seconds * 1000,
      task: async (worker) => {
        const { rowCount } = await floorPool.query('UPDATE bench_floor SET n = n + 1 WHERE id = $1 RETURNING n', [
          worker + 1,
        ]);
        return rowCount === 1;
      },
    });

  try {
    const { runs, medians } = await alternate(
      { floor: floorRound, refresh: refreshRound },
      { rounds: settings.rounds, warmupSeconds: settings.warmup, log },
    );
    const ratio = round(medians.refresh.p99 / medians.floor.p99, 2);
    return {
      status: 'ok',
      figures: {
        concurrency: CONCURRENCY,
        floorPoolSize: poolSize,
        ...medians,
        p99Ratio: ratio,
        refreshFailures,
        runs,
      },
      target: { text: 'refresh p99 <= 4 x floor p99', value: ratio, met: ratio <= 4 },
      valid: medians.refresh.non2xx === 0,
    };
  } finally {
    await floorPool.end();
  }
}

import { randomUUID } from 'node:crypto';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { alternate, cannon, Medians, Run, Variant } from '../lib/load';
import { median, RatioRange, ratioRange } from '../lib/stats';

export interface PipelineFigures {
  bare: Medians;
  protected?: Medians;
  payment?: Medians;
  ratio?: number;
  cpuRatio?: number;
  ratios?: { protected: RatioRange; protectedByCpu: RatioRange; payment?: RatioRange; paymentByCpu?: RatioRange };
  cpuPerProtected?: { median: number; min: number; max: number };
  runs?: Record<string, Run[]>;
}

/**
 * 1. Pipeline overhead: the bare route (GET /health/live: no guards, touches nothing) against the
 * protected reads, in the same process, interleaved: GET /v1/auth/me (the named rate limits in
 * Redis, JWT check, the identity check, the global pipes) and GET /v1/payments/:id for an id that
 * does not exist (the same, plus the payment lookup in PostgreSQL and a 404 problem). Ratios are
 * per round (median and min-max); the gateway's own CPU per request is reported beside them.
 */
export async function pipeline(ctx: BenchContext): Promise<ScenarioResult<PipelineFigures>> {
  const { gateway, settings, log } = ctx;
  const warmupSeconds = settings.warmup;
  const run =
    (path: string, headers: Record<string, string> = {}, expectedStatus?: number): Variant =>
    (duration = settings.duration) =>
      cannon(
        { url: gateway.url + path, headers, connections: settings.connections, duration, expectedStatus },
        { cpuPid: gateway.pid },
      );
  if (!ctx.session) {
    const { medians } = await alternate({ bare: run('/health/live') }, { rounds: 1, warmupSeconds, log });
    return { status: 'skipped', reason: ctx.authMissing, figures: { bare: medians.bare } };
  }
  const bearer = { authorization: `Bearer ${ctx.session.accessToken}` };
  const variants: Record<string, Variant> = { bare: run('/health/live'), protected: run('/v1/auth/me', bearer) };
  if (ctx.routes.paymentRead) variants.payment = run(`/v1/payments/${randomUUID()}`, bearer, 404);
  const { runs, medians } = await alternate(variants, { rounds: settings.rounds, warmupSeconds, log });
  const perCpu = (run: Run): number => 1 / (run.serverCpuMicrosPerRequest ?? NaN);
  const ratios = {
    protected: ratioRange(runs, 'protected', 'bare'),
    protectedByCpu: ratioRange(runs, 'protected', 'bare', perCpu),
    ...(runs.payment
      ? { payment: ratioRange(runs, 'payment', 'bare'), paymentByCpu: ratioRange(runs, 'payment', 'bare', perCpu) }
      : {}),
  };
  const cpus = (runs.protected ?? []).map((r) => r.serverCpuMicrosPerRequest ?? NaN);
  const cpuPerProtected = {
    median: Math.round(median(cpus)),
    min: Math.min(...cpus),
    max: Math.max(...cpus),
  };
  return {
    status: 'ok',
    figures: {
      ...(medians as { bare: Medians; protected: Medians; payment?: Medians }),
      ratio: ratios.protected.median,
      cpuRatio: ratios.protectedByCpu.median,
      ratios,
      cpuPerProtected,
      runs,
    },
    target: {
      text: 'protected (/me) req/s >= 0.60 x bare',
      value: `${ratios.protected.median} (${ratios.protected.min}-${ratios.protected.max})`,
      met: ratios.protected.median >= 0.6,
    },
    // A second target from the same runs: the gateway's CPU per protected request.
    cpuTarget: {
      text: 'server CPU per protected request (/me) <= 100 us',
      value: `${cpuPerProtected.median} (${cpuPerProtected.min}-${cpuPerProtected.max})`,
      met: cpuPerProtected.median <= 100,
    },
    valid: Object.values(medians).every((m) => m.errors === 0 && m.unexpected === 0),
  };
}

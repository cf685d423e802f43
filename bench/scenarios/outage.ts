import { randomBytes, randomUUID } from 'node:crypto';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { postJson } from '../lib/gateway';
import { cannon, StatusCodeStats } from '../lib/load';
import { LatencySummary, latencySummary, round } from '../lib/stats';

export interface OutageFigures {
  providerTimeoutMs?: number;
  retries?: number;
  before: LatencySummary;
  after?: { requestsPerSecond: number; p50: number; p99: number; statusCodes?: StatusCodeStats };
  beforeStatuses?: Record<string, number>;
  /** When the breaker never opened: the answers seen. */
  statuses?: Record<string, number>;
  providerChargesSeen?: number;
}

const idempotencyKey = (): string => randomBytes(12).toString('base64url');
const paymentBody = (): string =>
  JSON.stringify({ amount: 1234, currency: 'EUR', recipientId: randomUUID(), reference: 'bench' });

/**
 * 5. Outage latency: POST /v1/payments while the stand-in provider never answers /charges.
 * "Before": concurrent waves of 10 until an answer says CIRCUIT_OPEN (each request waits out at
 * least one per-attempt timeout). "After": an autocannon run against the open breaker. Each request has a
 * new Idempotency-Key, so idempotency replays never hide the work.
 */
export async function outage(ctx: BenchContext): Promise<ScenarioResult<OutageFigures>> {
  const { gateway, gatewayEnv, settings, log } = ctx;
  if (!ctx.session) return { status: 'skipped', reason: ctx.authMissing };
  if (!ctx.routes.payments) return { status: 'skipped', reason: 'POST /v1/payments is not on this branch yet' };
  const timeoutMs = Number(gatewayEnv.PAYMENT_PROVIDER_TIMEOUT_MS);
  const headers = { authorization: `Bearer ${ctx.session.accessToken}` };

  const before: number[] = [];
  const statuses: Record<string, number> = {};
  let open = false;
  for (let wave = 0; wave < 4 && !open; wave++) {
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const t0 = process.hrtime.bigint();
        const result = await postJson(`${gateway.url}/v1/payments`, JSON.parse(paymentBody()) as unknown, {
          ...headers,
          'idempotency-key': idempotencyKey(),
        });
        return { ms: Number(process.hrtime.bigint() - t0) / 1e6, status: result.status, code: result.body?.code };
      }),
    );
    // Every request of a wave sent while the breaker was still closed counts as "before", whatever
    // it finally answered (a request whose retry met the freshly opened breaker answers CIRCUIT_OPEN
    // after having waited out its first attempt).
    for (const r of results) {
      statuses[`${r.status} ${r.code}`] = (statuses[`${r.status} ${r.code}`] ?? 0) + 1;
      if (r.code === 'CIRCUIT_OPEN') open = true;
      before.push(r.ms);
    }
    log(`  wave ${wave + 1}: ${results.map((r) => `${r.status}`).join(' ')}`);
  }
  if (!open) {
    return {
      status: 'failed',
      reason: 'the breaker never opened',
      figures: { before: latencySummary(before), statuses },
    };
  }
  const after = await cannon({
    url: `${gateway.url}/v1/payments`,
    method: 'POST',
    connections: 10,
    duration: Math.min(settings.duration, 5),
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': idempotencyKey() },
          body: paymentBody(),
        }),
      },
    ],
  });
  const limit = timeoutMs / 20;
  return {
    status: 'ok',
    figures: {
      providerTimeoutMs: timeoutMs,
      retries: Number(gatewayEnv.PAYMENT_PROVIDER_RETRIES),
      before: latencySummary(before),
      after: {
        requestsPerSecond: after.requestsPerSecond,
        p50: after.p50,
        p99: after.p99,
        statusCodes: after.statusCodes,
      },
      beforeStatuses: statuses,
      providerChargesSeen: ctx.provider.charges(),
    },
    target: { text: `p99 with breaker open <= timeout/20 (${limit} ms)`, value: after.p99, met: after.p99 <= limit },
    valid: Object.keys(after.statusCodes ?? {}).every((code) => code === '503'),
    ratio: round(after.p99 / timeoutMs, 4),
  };
}

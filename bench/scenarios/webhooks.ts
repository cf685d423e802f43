import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { freePort, randomToken, withClient } from '../../tools/harness';
import { startStubProvider, StubProvider } from '../../tools/provider/stub-provider';
import type { BenchContext, GatewayEnv, ScenarioResult } from '../lib/context';
import { createUser, login, postJson } from '../lib/gateway';
import { cpuMicros } from '../lib/load';
import { freshDatabase, GATEWAY_SCRIPT, Server, spawnServer } from '../lib/servers';
import { latencySummary, LatencySummary, median, RatioRange, round } from '../lib/stats';
import { signatureHeader } from '../../src/features/payments';

const WEBHOOK_PATH = '/v1/webhooks/payment-provider';
/** Pending payments per handling round; each gets one event, and DUPLICATE_SHARE of them a redelivery. */
const PAYMENTS_PER_ROUND = 300;
const DUPLICATE_SHARE = 0.5;
const CONCURRENCY = 10;
/** Payments per settle-time round, and the provider's delay before it settles each. */
const SETTLE_PAYMENTS = 20;
const SETTLE_AFTER_MS = 1_500;
/** The reconciler's interval for the status-query-only measurement (the default, 30 s, would take minutes). */
const STATUS_INTERVAL_MS = 3_000;

export interface HandlingRound {
  events: number;
  duplicates: number;
  eventsPerSecond: number;
  all: LatencySummary;
  applied: LatencySummary;
  duplicate: LatencySummary;
  serverCpuMicrosPerEvent?: number;
  outcomes: Record<string, number>;
}

export interface SettleRound {
  /** Provider's change -> payment settled in our database, ms. */
  changeToSettled: LatencySummary;
}

export interface WebhookFigures {
  loadAverage: { start: number[]; end: number[] };
  handling: {
    rounds: HandlingRound[];
    p99: RatioRange;
    p99Applied: RatioRange;
    p99Duplicate: RatioRange;
    cpuMicrosPerEvent: RatioRange;
  };
  settle: {
    byWebhook: { rounds: SettleRound[]; p50: RatioRange; p99: RatioRange; max: RatioRange };
    byStatusQuery: {
      intervalMs: number;
      leaseMs: number;
      boundMs: number;
      rounds: SettleRound[];
      p50: RatioRange;
      p99: RatioRange;
      max: RatioRange;
    };
  };
}

const rangeOf = (values: number[]): RatioRange => {
  const finite = values.filter((v) => Number.isFinite(v));
  return {
    median: round(median(finite), 3),
    min: round(finite.length ? Math.min(...finite) : NaN, 3),
    max: round(finite.length ? Math.max(...finite) : NaN, 3),
  };
};
const load = (): number[] => os.loadavg().map((x) => round(x, 2));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * 10. Webhooks. (a) Handling cost: signed `charge.updated` events for existing pending payments,
 * half of them delivered twice (the second answers `duplicate`), sent by 10 workers back to back;
 * latency per delivery (p99, overall and per outcome) and the gateway's CPU per delivery, per round,
 * over `rounds` rounds (fresh payments each round). (b) Time from the provider's change to a
 * settled payment: by webhook (the gateway's secret set, reconciler off), and by status query
 * alone (secret unset, reconciler every 3 s), from the stand-in provider's clock at the change
 * to the payment's `updated_at`. Gateways of its own on a database of its own (the main gateway's
 * reconciler would otherwise ask its hanging provider about these payments).
 */
export async function webhooks(ctx: BenchContext): Promise<ScenarioResult<WebhookFigures>> {
  const { settings, log } = ctx;
  if (!ctx.routes.payments) return { status: 'skipped', reason: 'POST /v1/payments is not on this branch yet' };
  const loadStart = load();
  const database = await freshDatabase(`${ctx.runId}_webhooks`);
  const user = await createUser(database.url, { email: `bench-webhooks-${ctx.runId}@bench.invalid` });
  const secret = randomToken(32);
  const providerPort = await freePort();
  const baseEnv: GatewayEnv = {
    ...ctx.gatewayEnv,
    DATABASE_URL: database.url,
    REDIS_KEY_PREFIX: `${ctx.gatewayEnv.REDIS_KEY_PREFIX}wh:`,
    PAYMENT_PROVIDER_URL: `http://127.0.0.1:${providerPort}`,
    CIRCUIT_HALF_OPEN_AFTER_MS: '1000',
  };
  const apiKey = ctx.gatewayEnv.PAYMENT_PROVIDER_API_KEY ?? '';
  let provider: StubProvider | undefined;
  const startProvider = async (options: Partial<Parameters<typeof startStubProvider>[0]>): Promise<StubProvider> => {
    await provider?.close();
    provider = await startStubProvider({ port: providerPort, apiKey, pendingRatio: 1, ...options });
    return provider;
  };

  let gatewayStopped = false;
  const gateway = await spawnServer({
    label: 'webhook gateway',
    script: GATEWAY_SCRIPT,
    env: { ...baseEnv, PAYMENT_PROVIDER_WEBHOOK_SECRET: secret, PAYMENT_RECONCILE_INTERVAL_MS: '0' },
    readyPath: '/health/ready',
  });
  try {
    const token = (await login(gateway.url, user)).accessToken;

    // (a) Handling cost. The provider never settles by itself here: only our events do.
    await startProvider({ settleAfterMs: 3_600_000 });
    const rounds: HandlingRound[] = [];
    const total = settings.rounds + (settings.warmup > 0 ? 1 : 0);
    for (let round = 0; round < total; round++) {
      const figures = await handlingRound(gateway, token, provider!, secret);
      if (round === 0 && settings.warmup > 0) {
        log(`  warm-up: p99 ${figures.all.p99} ms, ${figures.serverCpuMicrosPerEvent} us CPU/event (discarded)`);
        continue;
      }
      rounds.push(figures);
      log(
        `  handling round ${rounds.length}: ${figures.events} deliveries (${figures.duplicates} duplicates), ` +
          `p50/p99 ${figures.all.p50}/${figures.all.p99} ms, ${figures.serverCpuMicrosPerEvent} us CPU/event, ` +
          `${figures.eventsPerSecond} events/s, ${JSON.stringify(figures.outcomes)}`,
      );
    }

    // (b) By webhook: the provider settles each pending charge SETTLE_AFTER_MS after it, then sends the event.
    await startProvider({
      settleAfterMs: SETTLE_AFTER_MS,
      webhook: { url: `${gateway.url}${WEBHOOK_PATH}`, secrets: [secret] },
    });
    const byWebhook: SettleRound[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const settled = await settleRound(gateway, token, provider!, database.url, 30_000);
      byWebhook.push(settled);
      log(`  by webhook, round ${round + 1}: change -> settled ${JSON.stringify(settled.changeToSettled)} ms`);
    }
    gatewayStopped = true;
    await gateway.stop();

    // (b) By status query alone: no webhook secret, so the route does not exist; the reconciler asks.
    await startProvider({ settleAfterMs: SETTLE_AFTER_MS });
    const statusGateway = await spawnServer({
      label: 'status-query gateway',
      script: GATEWAY_SCRIPT,
      env: { ...baseEnv, PAYMENT_RECONCILE_INTERVAL_MS: String(STATUS_INTERVAL_MS) },
      readyPath: '/health/ready',
    });
    const timeoutMs = Number(baseEnv.PAYMENT_PROVIDER_TIMEOUT_MS);
    const retries = Number(baseEnv.PAYMENT_PROVIDER_RETRIES);
    const leaseMs = (retries + 1) * timeoutMs + retries * 2_000 + 10_000;
    const boundMs = leaseMs + 2 * STATUS_INTERVAL_MS;
    const byStatus: SettleRound[] = [];
    try {
      const statusToken = (await login(statusGateway.url, user)).accessToken;
      for (let round = 0; round < settings.rounds; round++) {
        const settled = await settleRound(statusGateway, statusToken, provider!, database.url, boundMs + 30_000);
        byStatus.push(settled);
        log(`  by status query, round ${round + 1}: change -> settled ${JSON.stringify(settled.changeToSettled)} ms`);
      }
    } finally {
      await statusGateway.stop();
    }

    const pick = (list: SettleRound[], key: 'p50' | 'p99' | 'max'): RatioRange =>
      rangeOf(list.map((r) => r.changeToSettled[key]));
    const figures: WebhookFigures = {
      loadAverage: { start: loadStart, end: load() },
      handling: {
        rounds,
        p99: rangeOf(rounds.map((r) => r.all.p99)),
        p99Applied: rangeOf(rounds.map((r) => r.applied.p99)),
        p99Duplicate: rangeOf(rounds.map((r) => r.duplicate.p99)),
        cpuMicrosPerEvent: rangeOf(rounds.map((r) => r.serverCpuMicrosPerEvent ?? NaN)),
      },
      settle: {
        byWebhook: {
          rounds: byWebhook,
          p50: pick(byWebhook, 'p50'),
          p99: pick(byWebhook, 'p99'),
          max: pick(byWebhook, 'max'),
        },
        byStatusQuery: {
          intervalMs: STATUS_INTERVAL_MS,
          leaseMs,
          boundMs,
          rounds: byStatus,
          p50: pick(byStatus, 'p50'),
          p99: pick(byStatus, 'p99'),
          max: pick(byStatus, 'max'),
        },
      },
    };
    const valid = rounds.every(
      (r) =>
        r.outcomes.applied === r.events - r.duplicates &&
        r.outcomes.duplicate === r.duplicates &&
        Object.keys(r.outcomes).length === 2,
    );
    const worstStatus = figures.settle.byStatusQuery.max.max;
    return {
      status: 'ok',
      figures,
      valid,
      target: {
        text: `by status query alone, settled within lease + 2 x interval (${boundMs} ms)`,
        value: worstStatus,
        met: worstStatus <= boundMs,
      },
    };
  } finally {
    if (!gatewayStopped) await gateway.stop();
    await provider?.close();
  }
}

/** Creates `count` payments the provider answers `pending`, `parallel` at a time; returns them. */
async function pendingPayments(
  gateway: Server,
  token: string,
  provider: StubProvider,
  count: number,
  parallel: number,
  spacingMs = 0,
): Promise<{ id: string; recipientId: string }[]> {
  const made: { id: string; recipientId: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next += 1;
        const recipientId = randomUUID();
        const res = await postJson<{ id: string; status: string }>(
          `${gateway.url}/v1/payments`,
          { amount: 1234, currency: 'EUR', recipientId },
          { authorization: `Bearer ${token}`, 'idempotency-key': `bench-${randomToken(12)}` },
        );
        if (res.status !== 201 || res.body?.status !== 'pending' || !provider.charges.has(res.body.id)) {
          throw new Error(`a pending payment answered ${res.status}: ${res.text.slice(0, 200)}`);
        }
        made.push({ id: res.body.id, recipientId });
        if (spacingMs) await sleep(spacingMs);
      }
    }),
  );
  return made;
}

async function handlingRound(
  gateway: Server,
  token: string,
  provider: StubProvider,
  secret: string,
): Promise<HandlingRound> {
  const payments = await pendingPayments(gateway, token, provider, PAYMENTS_PER_ROUND, 8);
  const bodies = payments.map((p) => {
    const charge = provider.charges.get(p.id)!;
    return JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'charge.updated',
      created: Math.floor(Date.now() / 1000),
      data: { ...charge, status: 'succeeded' },
    });
  });
  // Every event once, then a share of them again (already recorded: `duplicate`).
  const duplicates = bodies.filter((_, i) => i % Math.round(1 / DUPLICATE_SHARE) === 0);
  const queue = [...bodies, ...duplicates];
  const all: number[] = [];
  const samples: Record<string, number[]> = {};
  const outcomes: Record<string, number> = {};
  let next = 0;
  const cpuBefore = cpuMicros(gateway.pid);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let body = queue[next++]; body !== undefined; body = queue[next++]) {
        const signature = signatureHeader([secret], Math.floor(Date.now() / 1000), Buffer.from(body));
        const started = process.hrtime.bigint();
        const res = await fetch(`${gateway.url}${WEBHOOK_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'provider-signature': signature },
          body,
        });
        const text = await res.text();
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        let outcome = `HTTP ${res.status}`;
        if (res.status === 200) outcome = (JSON.parse(text) as { outcome: string }).outcome;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        all.push(ms);
        (samples[outcome] ??= []).push(ms);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuAfter = cpuMicros(gateway.pid);
  return {
    events: queue.length,
    duplicates: duplicates.length,
    eventsPerSecond: round(queue.length / seconds, 1),
    all: latencySummary(all),
    applied: latencySummary(samples.applied ?? []),
    duplicate: latencySummary(samples.duplicate ?? []),
    ...(cpuBefore !== undefined && cpuAfter !== undefined
      ? { serverCpuMicrosPerEvent: Math.round((cpuAfter - cpuBefore) / queue.length) }
      : {}),
    outcomes,
  };
}

/**
 * SETTLE_PAYMENTS pending payments, made 100 ms apart so their changes fall at different moments of
 * the reconciler's cycle; waits until all are settled, then takes, per payment, its `updated_at`
 * minus the moment the provider settled its charge.
 */
async function settleRound(
  gateway: Server,
  token: string,
  provider: StubProvider,
  databaseUrl: string,
  waitMs: number,
): Promise<SettleRound> {
  const payments = await pendingPayments(gateway, token, provider, SETTLE_PAYMENTS, 1, 100);
  const ids = payments.map((p) => p.id);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const rows = await withClient(databaseUrl, async (db) => {
      const { rows } = await db.query<{ id: string; status: string; updated_at: Date }>(
        'SELECT id, status, updated_at FROM payments WHERE id = ANY($1::uuid[])',
        [ids],
      );
      return rows;
    });
    if (rows.length === ids.length && rows.every((r) => r.status === 'succeeded')) {
      const samples = rows.map((r) => r.updated_at.getTime() - (provider.settledAt.get(r.id) ?? NaN));
      return { changeToSettled: latencySummary(samples) };
    }
    if (Date.now() > deadline) {
      throw new Error(`${rows.filter((r) => r.status !== 'succeeded').length} payments not settled in ${waitMs} ms`);
    }
    await sleep(100);
  }
}

import { randomBytes, randomUUID } from 'node:crypto';
import { onCleanup } from '../lib/cleanup';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { login, postJson, TokenPair } from '../lib/gateway';
import { CountingProxy, ProxyCounters, startCountingProxy, startRedisProbe } from '../lib/redis-probe';
import { GATEWAY_SCRIPT, spawnServer } from '../lib/servers';
import { round } from '../lib/stats';
import { EXPRESS_PEER } from './peer';

const N = 200;

export interface PerRequest {
  roundTripsPerRequest: number;
  commandsPerRequest: number;
  byCommand: Record<string, number>;
  keyShapes: Record<string, number>;
}

export interface Measured {
  redis: PerRequest;
  database?: { roundTripsPerRequest: number };
  failed: number;
}

export interface RedisFigures {
  requests: number;
  bare: Measured;
  protected: Measured;
  refresh: Measured;
  paymentRead?: Measured;
  paymentWithBreakerOpen?: Measured;
  expressPeer: Measured;
  expressPeerPaymentRead: Measured;
  namedLimitsSeen: number;
}

/** What the counters moved by between two snapshots, per request. */
export function perRequest(before: ProxyCounters, after: ProxyCounters, n: number): PerRequest {
  const scaled = (from: Record<string, number>, to: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [name, count] of Object.entries(to)) {
      const d = count - (from[name] ?? 0);
      if (d) out[name] = round(d / n, 3);
    }
    return out;
  };
  return {
    roundTripsPerRequest: round((after.roundTrips - before.roundTrips) / n, 3),
    commandsPerRequest: round((after.commands - before.commands) / n, 3),
    byCommand: scaled(before.byCommand, after.byCommand),
    keyShapes: scaled(before.keyShapes, after.keyShapes),
  };
}

interface Probes {
  redis: CountingProxy;
  database?: CountingProxy;
}

/** Runs `request` n times in sequence (after a warm-up) and reports what each cost on both proxies. */
async function measure(probes: Probes, n: number, request: () => Promise<boolean>): Promise<Measured> {
  for (let i = 0; i < 10; i++) await request(); // warm-up: scripts loaded, connections open
  const before = { redis: probes.redis.snapshot(), database: probes.database?.snapshot() };
  let failed = 0;
  for (let i = 0; i < n; i++) if (!(await request())) failed += 1;
  const redis = perRequest(before.redis, probes.redis.snapshot(), n);
  const database =
    probes.database && before.database
      ? { roundTripsPerRequest: perRequest(before.database, probes.database.snapshot(), n).roundTripsPerRequest }
      : undefined;
  return { redis, ...(database ? { database } : {}), failed };
}

const getOk = (url: string, headers: Record<string, string>) => async (): Promise<boolean> => {
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  return response.status === 200;
};

const get404 = (url: string, headers: Record<string, string>) => async (): Promise<boolean> => {
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  return response.status === 404;
};

/**
 * 3. Round trips per request, counted by TCP proxies between a dedicated gateway process and
 * Redis / PostgreSQL (so other users of the shared servers cannot blur the count), N sequential
 * requests after a warm-up. The Express peer is counted the same way for comparison, and the
 * refresh route too (it explains scenario 4).
 */
export async function redisRoundTrips(ctx: BenchContext): Promise<ScenarioResult<RedisFigures>> {
  const { gatewayEnv } = ctx;
  if (!ctx.user) return { status: 'skipped', reason: ctx.authMissing };
  const redis = await startRedisProbe(gatewayEnv.REDIS_URL);
  onCleanup('close redis probe', () => redis.close());
  const database = await startCountingProxy(gatewayEnv.DATABASE_URL);
  onCleanup('close database probe', () => database.close());
  const probes = { redis, database };
  const env = {
    ...gatewayEnv,
    REDIS_URL: redis.url,
    DATABASE_URL: database.url,
    REDIS_KEY_PREFIX: `${gatewayEnv.REDIS_KEY_PREFIX}rt:`,
    PAYMENT_PROVIDER_URL: 'http://127.0.0.1:9',
    PAYMENT_PROVIDER_RETRIES: '0',
  };
  const gateway = await spawnServer({
    label: 'gateway (round-trip probes)',
    script: GATEWAY_SCRIPT,
    env,
    readyPath: '/health/ready',
  });
  const session = await login(gateway.url, ctx.user);
  const bearer = { authorization: `Bearer ${session.accessToken}` };
  const bare = await measure(probes, N, getOk(`${gateway.url}/health/live`, {}));
  const me = await measure(probes, N, getOk(`${gateway.url}/v1/auth/me`, bearer));
  const paymentRead = ctx.routes.paymentRead
    ? await measure(probes, N, () => get404(`${gateway.url}/v1/payments/${randomUUID()}`, bearer)())
    : undefined;
  let refreshToken = session.refreshToken;
  const refresh = await measure(probes, N / 2, async () => {
    const result = await postJson<TokenPair>(`${gateway.url}/v1/auth/refresh`, { refreshToken });
    if (result.status !== 200 || !result.body) return false;
    refreshToken = result.body.refreshToken;
    return true;
  });
  // A payment while the breaker is open (this gateway's provider URL refuses connections, so the
  // breaker opens after CIRCUIT_FAILURE_THRESHOLD quick failures): what failing fast still costs.
  const pay = () =>
    postJson(
      `${gateway.url}/v1/payments`,
      { amount: 1234, currency: 'EUR', recipientId: randomUUID(), reference: 'bench' },
      { ...bearer, 'idempotency-key': randomBytes(12).toString('base64url') },
    );
  let paymentOpen: Measured | undefined;
  if (ctx.routes.payments) {
    for (let i = 0; i < 30 && (await pay()).body?.code !== 'CIRCUIT_OPEN'; i++);
    paymentOpen = await measure(probes, N / 4, async () => (await pay()).body?.code === 'CIRCUIT_OPEN');
  }
  await gateway.stop();

  const peer = await spawnServer({
    label: 'express peer (redis probe)',
    script: EXPRESS_PEER,
    env: { ...ctx.peerEnv(), REDIS_URL: redis.url, DATABASE_URL: database.url, PEER_MODE: 'fair' },
    readyPath: '/health/live',
  });
  const peerMe = await measure(probes, N, getOk(`${peer.url}/v1/auth/me`, bearer));
  const peerPaymentRead = await measure(probes, N, () => get404(`${peer.url}/v1/payments/${randomUUID()}`, bearer)());
  await peer.stop();

  // Each named limit keeps `<prefix>{rl:<client>}:<name>:hits|blocked`: count the names seen.
  const namedLimits = new Set(
    Object.keys(me.redis.keyShapes)
      .map((key) => /\}:([^:]+):(hits|blocked)$/.exec(key)?.[1])
      .filter(Boolean),
  ).size;
  const value = me.redis.roundTripsPerRequest;
  return {
    status: 'ok',
    figures: {
      requests: N,
      bare,
      protected: me,
      refresh,
      ...(paymentRead ? { paymentRead } : {}),
      ...(paymentOpen ? { paymentWithBreakerOpen: paymentOpen } : {}),
      expressPeer: peerMe,
      expressPeerPaymentRead: peerPaymentRead,
      namedLimitsSeen: namedLimits,
    },
    target: {
      text: 'Redis round trips per protected request (/me) <= 1 for all named limits',
      value: `${value} (${namedLimits} named limits)`,
      met: value <= 1,
    },
    valid: me.failed === 0 && refresh.failed === 0 && (paymentRead?.failed ?? 0) === 0,
  };
}

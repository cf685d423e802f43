import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { alternate, cannon, Medians, Run, Variant } from '../lib/load';
import { Server, spawnServer } from '../lib/servers';
import { RatioRange, ratioRange } from '../lib/stats';

/** The peers (fair and naive): bench/peers/express-peer.ts, started with PEER_MODE. */
export const EXPRESS_PEER = join(__dirname, '../peers/express-peer.ts');
/** The floor: the same payment read on node:http with nothing else (bench/peers/floor.ts). */
export const FLOOR = join(__dirname, '../peers/floor.ts');

type PeerVariant =
  'gatewayPayment' | 'floorPayment' | 'fairPayment' | 'naivePayment' | 'gatewayMe' | 'fairMe' | 'naiveMe';

export type PeerFigures = Record<PeerVariant, Medians> & {
  ratios: Record<
    | 'paymentVsFloor'
    | 'paymentVsFloorByCpu'
    | 'paymentVsFair'
    | 'paymentVsNaive'
    | 'meVsFair'
    | 'meVsNaive'
    | 'paymentVsFairByCpu'
    | 'meVsFairByCpu',
    RatioRange
  >;
  meLimits: string[];
  runs: Record<PeerVariant, Run[]>;
};

/**
 * 2. Peer comparison on the same protected reads, each server in its own process, interleaved.
 * The floor (node:http, node:crypto HS256, one Redis script, one pg query, no framework) serves
 * the payment read only: it is the denominator of the target.
 * - `GET /v1/payments/:id` for an id that does not exist (404 after the payment lookup in
 *   PostgreSQL): the read the target is about;
 * - `GET /v1/auth/me`.
 * Against the fair peer (Express 5, express-rate-limit + rate-limit-redis with the same limits,
 * jsonwebtoken with a KeyObject, pg) and, as a second row, the naive peer (string secret, /me
 * from the token's claims). See bench/peers/express-peer.ts. Ratios are per round (the same
 * round's runs), reported as median and min-max.
 */
export async function peer(ctx: BenchContext): Promise<ScenarioResult<PeerFigures>> {
  const { gateway, settings, log } = ctx;
  if (!ctx.session) return { status: 'skipped', reason: ctx.authMissing };
  if (!ctx.routes.paymentRead) return { status: 'skipped', reason: 'GET /v1/payments/:id is not on this branch' };
  const token = ctx.session.accessToken;
  // The peer applies the same named limits to /me as the gateway does (read from its answer).
  const probe = await fetch(`${gateway.url}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  await probe.arrayBuffer();
  const meLimits = [...(probe.headers.get('ratelimit-policy') ?? '"global"').matchAll(/"([^"]+)"/g)].map(
    ([, name = '']) => name,
  );
  const peerEnv = { ...ctx.peerEnv(), PEER_ME_LIMITS: meLimits.join(',') };
  const fair = await spawnServer({
    label: 'fair peer',
    script: EXPRESS_PEER,
    env: { ...peerEnv, PEER_MODE: 'fair' },
    readyPath: '/health/live',
  });
  const naive = await spawnServer({
    label: 'naive peer',
    script: EXPRESS_PEER,
    env: { ...peerEnv, PEER_MODE: 'naive' },
    readyPath: '/health/live',
  });
  const floor = await spawnServer({ label: 'floor', script: FLOOR, env: ctx.peerEnv(), readyPath: '/health/live' });
  const missing = `/v1/payments/${randomUUID()}`;
  for (const server of [gateway, floor, fair, naive]) {
    const res = await fetch(server.url + missing, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status !== 404) throw new Error(`${server.label} answered ${res.status} to GET ${missing}, not 404`);
  }
  const run =
    (server: Server, path: string, expected: number): Variant =>
    (duration = settings.duration) =>
      cannon(
        {
          url: server.url + path,
          headers: { authorization: `Bearer ${token}` },
          connections: settings.connections,
          duration,
          expectedStatus: expected,
        },
        { cpuPid: server.pid },
      );
  const { runs, medians } = await alternate<PeerVariant>(
    {
      gatewayPayment: run(gateway, missing, 404),
      floorPayment: run(floor, missing, 404),
      fairPayment: run(fair, missing, 404),
      naivePayment: run(naive, missing, 404),
      gatewayMe: run(gateway, '/v1/auth/me', 200),
      fairMe: run(fair, '/v1/auth/me', 200),
      naiveMe: run(naive, '/v1/auth/me', 200),
    },
    { rounds: settings.rounds, warmupSeconds: settings.warmup, log },
  );
  await floor.stop();
  await fair.stop();
  await naive.stop();
  const cpu = (run: Run): number => 1 / (run.serverCpuMicrosPerRequest ?? NaN);
  const ratios = {
    paymentVsFloor: ratioRange(runs, 'gatewayPayment', 'floorPayment'),
    paymentVsFloorByCpu: ratioRange(runs, 'gatewayPayment', 'floorPayment', cpu),
    paymentVsFair: ratioRange(runs, 'gatewayPayment', 'fairPayment'),
    paymentVsNaive: ratioRange(runs, 'gatewayPayment', 'naivePayment'),
    meVsFair: ratioRange(runs, 'gatewayMe', 'fairMe'),
    meVsNaive: ratioRange(runs, 'gatewayMe', 'naiveMe'),
    // By CPU per request (peer CPU / gateway CPU): what other load on the machine moves least.
    paymentVsFairByCpu: ratioRange(runs, 'gatewayPayment', 'fairPayment', cpu),
    meVsFairByCpu: ratioRange(runs, 'gatewayMe', 'fairMe', cpu),
  };
  const value = ratios.paymentVsFloor.median;
  return {
    status: 'ok',
    figures: { ...medians, ratios, meLimits, runs },
    target: {
      text: 'gateway req/s >= 0.6 x the node:http floor (GET /v1/payments/:id, 404)',
      value: `${value} (${ratios.paymentVsFloor.min}-${ratios.paymentVsFloor.max})`,
      met: value >= 0.6,
    },
    valid: Object.values<Medians>(medians).every((m) => m.errors === 0 && m.unexpected === 0),
  };
}

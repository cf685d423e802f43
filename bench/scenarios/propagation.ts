import { performance } from 'node:perf_hooks';
import type { BenchContext, ScenarioResult } from '../lib/context';
import { BenchUser, createUser, login } from '../lib/gateway';
import { GATEWAY_SCRIPT, Server, spawnServer } from '../lib/servers';
import { LatencySummary, latencySummary } from '../lib/stats';

/** The admin changes whose effect must reach the other instance. */
export const CHANGES = ['disable', 'demote', 'revoke-sessions'] as const;
export type Change = (typeof CHANGES)[number];

/** One change made on A, and when B enforced it (ms, from performance.now()). */
export interface Sample {
  change: Change;
  /** From the admin request's start on A to the first refusal on B (includes A's own work). */
  fromRequestMs: number;
  /** From A's answer reaching the admin to the first refusal on B (negative: B refused first). */
  fromAnswerMs: number;
  /** How many requests B answered with the old verdict after the admin request started. */
  staleAnswers: number;
}

export interface PropagationFigures {
  iterations: number;
  samples: Sample[];
  byChange: Record<Change, { fromRequest: LatencySummary; fromAnswer: LatencySummary }>;
  fromRequest: LatencySummary;
  fromAnswer: LatencySummary;
}

/** How long B may take before the run gives up on one change (not a target: a stuck run ends). */
const GIVE_UP_MS = 10_000;
const ITERATIONS = 10;

interface Probe {
  /** The user the change is made to; `token` is one of its access tokens. */
  userId: string;
  /** The request B must refuse once the change is enforced, and the status it answers until then. */
  path: string;
  token: string;
  before: number;
  after: number;
}

async function status(url: string, token: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Makes the change on A while B is asked back to back, and times the first refusal on B. Asks B
 * first until it answers the old verdict (its identity cache holds the entry), so the refusal can
 * only come from the invalidation message: both instances trust a cached identity for 60 s here.
 */
async function measure(a: Server, b: Server, adminToken: string, change: Change, probe: Probe): Promise<Sample> {
  if ((await status(b.url + probe.path, probe.token)) !== probe.before) {
    throw new Error(`${change}: B did not answer ${probe.before} before the change`);
  }
  let answeredAt = NaN;
  let failure: Error | undefined;
  const revoke = change === 'revoke-sessions';
  const started = performance.now();
  const request = fetch(`${a.url}/v1/admin/users/${probe.userId}${revoke ? '/revoke-sessions' : ''}`, {
    method: revoke ? 'POST' : 'PATCH',
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(revoke ? {} : { 'content-type': 'application/json' }),
    },
    body: revoke ? undefined : JSON.stringify(change === 'disable' ? { disabled: true } : { role: 'user' }),
  }).then(
    async (response) => {
      await response.arrayBuffer();
      answeredAt = performance.now();
      if (response.status >= 300) failure = new Error(`${change} on A answered ${response.status}`);
    },
    (error: Error) => void (failure = error),
  );
  let staleAnswers = 0;
  for (;;) {
    if (failure) throw failure;
    const answer = await status(b.url + probe.path, probe.token);
    const now = performance.now();
    if (answer === probe.after) {
      await request;
      if (failure) throw failure;
      return { change, fromRequestMs: now - started, fromAnswerMs: now - answeredAt, staleAnswers };
    }
    if (answer !== probe.before) throw new Error(`${change}: B answered ${answer}`);
    staleAnswers += 1;
    if (now - started > GIVE_UP_MS) throw new Error(`${change}: B still answered ${answer} after ${GIVE_UP_MS} ms`);
  }
}

/**
 * 8. Propagation of admin changes across instances: two gateways on one database and one Redis
 * (both trusting a cached identity for 60 s, so only the invalidation message can explain B's
 * refusal). An admin on A disables a user, demotes an admin, or revokes a user's sessions, while
 * B is asked back to back with that user's token (`/v1/auth/me` for disable and revoke, an admin
 * route for the demotion); the time to B's first refusal is taken from the admin request's start
 * (an upper bound: it includes A's own work) and from A's answer. Target: a change on A is
 * enforced on B within 250 ms (p99 from the request's start).
 */
export async function propagation(ctx: BenchContext): Promise<ScenarioResult<PropagationFigures>> {
  const { gatewayEnv, database, runId, log } = ctx;
  if (!ctx.routes.login || !ctx.routes.me) return { status: 'skipped', reason: ctx.authMissing };
  const env = { ...gatewayEnv, IDENTITY_CACHE_TTL_MS: '60000' };
  const a = await spawnServer({ label: 'gateway A', script: GATEWAY_SCRIPT, env, readyPath: '/health/ready' });
  const b = await spawnServer({ label: 'gateway B', script: GATEWAY_SCRIPT, env, readyPath: '/health/ready' });
  try {
    let n = 0;
    const user = async (role: 'user' | 'admin'): Promise<BenchUser & { token: string }> => {
      const created = await createUser(database.url, { email: `prop-${runId}-${++n}@bench.invalid`, role });
      return { ...created, token: (await login(a.url, created)).accessToken };
    };
    const admin = await user('admin');
    const samples: Sample[] = [];
    // One warm-up of each change (first calls compile code paths), not recorded.
    for (let i = 0; i <= ITERATIONS; i++) {
      for (const change of CHANGES) {
        const target = await user(change === 'demote' ? 'admin' : 'user');
        const probe: Probe =
          change === 'demote'
            ? { userId: target.id, path: `/v1/admin/users/${target.id}`, token: target.token, before: 200, after: 403 }
            : { userId: target.id, path: '/v1/auth/me', token: target.token, before: 200, after: 401 };
        const sample = await measure(a, b, admin.token, change, probe);
        if (i > 0) samples.push(sample);
      }
    }
    const summary = (list: Sample[]) => ({
      fromRequest: latencySummary(list.map((s) => s.fromRequestMs)),
      fromAnswer: latencySummary(list.map((s) => s.fromAnswerMs)),
    });
    const byChange = Object.fromEntries(
      CHANGES.map((change) => [change, summary(samples.filter((s) => s.change === change))]),
    ) as PropagationFigures['byChange'];
    for (const change of CHANGES) {
      const { fromRequest, fromAnswer } = byChange[change];
      log(
        `  ${change}: request start -> refused on B p50 ${fromRequest.p50} ms, p99 ${fromRequest.p99} ms, max ${fromRequest.max} ms; ` +
          `A's answer -> refused on B p50 ${fromAnswer.p50} ms, max ${fromAnswer.max} ms`,
      );
    }
    const all = summary(samples);
    return {
      status: 'ok',
      figures: { iterations: ITERATIONS, samples, byChange, ...all },
      target: {
        text: 'change on A enforced on B within 250 ms (p99 from the admin request start)',
        value: all.fromRequest.p99,
        met: all.fromRequest.p99 <= 250,
      },
    };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

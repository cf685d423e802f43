import { randomBytes } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { UserIdentities } from '../../src/features/auth/identity/user-identities';
import { createUser, login, TestUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { PrivateRedis } from '../helpers/processes';
import { sleep, waitFor } from '../../tools/harness';

/**
 * Generous bound on a pub/sub message reaching the other instance, counted from before the admin
 * request that sends it (whose own database work a loaded machine slows down too).
 */
const ARRIVAL_DEADLINE_MS = 20_000;

/** Variables two instances of one deployment share: keys, the Redis namespace. */
function deployment(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_ACCESS_SECRET: randomSecret(),
    REFRESH_TOKEN_PEPPER: randomSecret(),
    REDIS_KEY_PREFIX: `${process.env.TEST_REDIS_PREFIX}idc-${randomBytes(4).toString('hex')}:`,
    ...overrides,
  };
}

/** Resolves with the time the invalidation of `userId` was applied on `gw` (rejects after the deadline). */
function arrivalOn(gw: TestApp, userId: string): Promise<number> {
  const identities = gw.app.get(UserIdentities);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no invalidation of ${userId} arrived within ${ARRIVAL_DEADLINE_MS} ms`));
    }, ARRIVAL_DEADLINE_MS);
    const stop = identities.onInvalidated((id) => {
      if (id !== userId) return;
      clearTimeout(timer);
      stop();
      resolve(performance.now());
    });
  });
}

/** Polls `request` until `done` holds or the deadline passes; returns the last answer. */
async function pollUntil(
  request: () => Promise<HttpResult>,
  done: (res: HttpResult) => boolean,
  deadlineMs: number,
): Promise<HttpResult> {
  const until = Date.now() + deadlineMs;
  let res = await request();
  while (!done(res) && Date.now() < until) {
    await sleep(20);
    res = await request();
  }
  return res;
}

/**
 * Cross-instance propagation figures, printed at the end (not asserted: timing depends on the
 * machine): ms from the admin request's start on A to the invalidation applied on B (an upper
 * bound: it includes the request's own work), and from A's answer to applied on B (negative: B
 * applied it before the admin's client had its answer).
 */
const figures: Record<string, { fromRequestStart: number; fromAnswer: number }> = {};

async function timed(
  change: () => Promise<HttpResult>,
  arrived: Promise<number>,
): Promise<[HttpResult, { fromRequestStart: number; fromAnswer: number }]> {
  const started = performance.now();
  const res = await change();
  const answered = performance.now();
  const at = await arrived;
  return [res, { fromRequestStart: Math.round(at - started), fromAnswer: Math.round(at - answered) }];
}

describe('identity changes made on one instance are enforced on another (shared PostgreSQL and Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: TestUser;
  let adminToken: string;
  beforeAll(async () => {
    // A long TTL: within these tests only the invalidation message can make B notice a change.
    const shared = deployment({ IDENTITY_CACHE_TTL_MS: '60000' });
    [a, b] = await Promise.all([startApp(shared), startApp(shared)]);
    admin = await createUser(a, 'admin');
    adminToken = (await login(a, admin)).accessToken;
    // Warm the admin route and the publish path, so the figures below measure propagation, not first-call costs.
    const spare = await createUser(a);
    await http(a.url, 'PATCH', `/v1/admin/users/${spare.id}`, { token: adminToken, body: { role: 'user' } });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    console.info(`identity invalidation A -> B (ms): ${JSON.stringify(figures)}`);
  });

  const me = (gw: TestApp, token: string): Promise<HttpResult> => http(gw.url, 'GET', '/v1/auth/me', { token });
  const adminRoute = (gw: TestApp, token: string): Promise<HttpResult> =>
    http(gw.url, 'GET', '/v1/admin/users?page=1&pageSize=1', { token });

  it('a disable on A is enforced on B at the next request after the message arrives', async () => {
    const user = await createUser(a);
    const { accessToken } = await login(a, user);
    expect((await me(b, accessToken)).status).toBe(200); // B now holds the identity

    const [res, figure] = await timed(
      () => http(a.url, 'PATCH', `/v1/admin/users/${user.id}`, { token: adminToken, body: { disabled: true } }),
      arrivalOn(b, user.id),
    );
    expect(res.status).toBe(200);
    figures.disable = figure;
    expectProblem(await me(b, accessToken), 401, 'TOKEN_INVALID');
  });

  it('a demotion on A removes admin routes on B', async () => {
    const other = await createUser(a, 'admin');
    const { accessToken } = await login(a, other);
    expect((await adminRoute(b, accessToken)).status).toBe(200);

    const [res, figure] = await timed(
      () => http(a.url, 'PATCH', `/v1/admin/users/${other.id}`, { token: adminToken, body: { role: 'user' } }),
      arrivalOn(b, other.id),
    );
    expect(res.status).toBe(200);
    figures.demotion = figure;
    expectProblem(await adminRoute(b, accessToken), 403, 'FORBIDDEN');
    expect((await me(b, accessToken)).body).toMatchObject({ id: other.id, role: 'user' });
  });

  it('revoke-sessions on A ends every access token on B; a new login works at once', async () => {
    const user = await createUser(a);
    const first = await login(a, user);
    const second = await login(b, user);
    expect((await me(b, first.accessToken)).status).toBe(200);
    expect((await me(b, second.accessToken)).status).toBe(200);

    const [res, figure] = await timed(
      () => http(a.url, 'POST', `/v1/admin/users/${user.id}/revoke-sessions`, { token: adminToken }),
      arrivalOn(b, user.id),
    );
    expect(res.status).toBe(204);
    figures.revokeSessions = figure;
    expectProblem(await me(b, first.accessToken), 401, 'TOKEN_INVALID');
    expectProblem(await me(b, second.accessToken), 401, 'TOKEN_INVALID');
    expectProblem(
      await http(b.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: second.refreshToken } }),
      401,
      'TOKEN_INVALID',
    );

    const fresh = await login(a, user);
    expect((await me(b, fresh.accessToken)).status).toBe(200);
  });

  it('an enable on A lets the user back in on B (a cached "disabled" does not outlive it)', async () => {
    const user = await createUser(a);
    await http(a.url, 'PATCH', `/v1/admin/users/${user.id}`, { token: adminToken, body: { disabled: true } });
    const token = (await a.app.get(UserIdentities).get(user.id))!; // B below caches the disabled state
    expect(token.disabled).toBe(true);
    await b.app.get(UserIdentities).get(user.id);

    const arrived = arrivalOn(b, user.id);
    expect(
      (await http(a.url, 'PATCH', `/v1/admin/users/${user.id}`, { token: adminToken, body: { disabled: false } }))
        .status,
    ).toBe(200);
    await arrived;
    const { accessToken } = await login(a, user);
    expect((await me(b, accessToken)).status).toBe(200);
  });

  it('a change written straight to the database (no message) is not seen while the entry is fresh', async () => {
    // The control for the tests above: B really answers from its cache, so they prove the message.
    const user = await createUser(a, 'admin');
    const { accessToken } = await login(a, user);
    expect((await adminRoute(b, accessToken)).status).toBe(200);
    await a.app.get(PrismaService).user.update({ where: { id: user.id }, data: { role: 'user' } });
    expect((await adminRoute(b, accessToken)).status).toBe(200);
    expectProblem(await adminRoute(a, accessToken), 403, 'FORBIDDEN'); // A never cached it
  });
});

describe('identity cache entries are re-read after IDENTITY_CACHE_TTL_MS', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp(deployment({ IDENTITY_CACHE_TTL_MS: '300' }));
  });
  afterAll(() => gw.close());

  it('sees a change written straight to the database once the entry is older than the TTL', async () => {
    const user = await createUser(gw);
    const { accessToken } = await login(gw, user);
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: accessToken })).status).toBe(200);
    await gw.app.get(PrismaService).user.update({ where: { id: user.id }, data: { disabled: true } });
    const res = await pollUntil(
      () => http(gw.url, 'GET', '/v1/auth/me', { token: accessToken }),
      (r) => r.status === 401,
      10_000,
    );
    expectProblem(res, 401, 'TOKEN_INVALID');
  });

  it('is off with IDENTITY_CACHE_TTL_MS=0: every request reads the user row', async () => {
    const off = await startApp(deployment({ IDENTITY_CACHE_TTL_MS: '0' }));
    try {
      const user = await createUser(off);
      const { accessToken } = await login(off, user);
      expect((await http(off.url, 'GET', '/v1/auth/me', { token: accessToken })).status).toBe(200);
      await off.app.get(PrismaService).user.update({ where: { id: user.id }, data: { disabled: true } });
      expectProblem(await http(off.url, 'GET', '/v1/auth/me', { token: accessToken }), 401, 'TOKEN_INVALID');
      expect(off.app.get(UserIdentities).cachedEntries).toBe(0);
    } finally {
      await off.close();
    }
  });
});

describe('identity cache while Redis goes away and comes back (private redis-server)', () => {
  let redis: PrivateRedis;
  let a: TestApp;
  let b: TestApp;
  let adminToken: string;
  const TTL_MS = 1500;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const shared = deployment({ REDIS_URL: redis.url(), IDENTITY_CACHE_TTL_MS: String(TTL_MS) });
    [a, b] = await Promise.all([startApp(shared), startApp(shared)]);
    adminToken = (await login(a, await createUser(a, 'admin'))).accessToken;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.destroy();
  });

  it('during the outage a disable on A reaches B once the entry is older than the TTL (no message can)', async () => {
    const user = await createUser(a);
    const { accessToken } = await login(a, user);
    await redis.stop();
    await waitFor('B to notice the subscription closed', () => !b.app.get(UserIdentities).listening, {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    // B re-reads (its cache was dropped when the subscription closed) and caches again.
    expect((await http(b.url, 'GET', '/v1/auth/me', { token: accessToken })).status).toBe(200);
    const res = await http(a.url, 'PATCH', `/v1/admin/users/${user.id}`, {
      token: adminToken,
      body: { disabled: true },
    });
    expect(res.status).toBe(200); // committed; the publish failed and was logged
    const refused = await pollUntil(
      () => http(b.url, 'GET', '/v1/auth/me', { token: accessToken }),
      (r) => r.status === 401,
      TTL_MS + 10_000,
    );
    expectProblem(refused, 401, 'TOKEN_INVALID');
    expect(b.app.get(UserIdentities).listening).toBe(false);
  });

  it('drops the whole cache when the subscription reconnects', async () => {
    await redis.start(); // stopped by the test above
    const long = await startApp(
      deployment({ REDIS_URL: redis.url(), IDENTITY_CACHE_TTL_MS: '60000', REDIS_KEY_PREFIX: b.env.REDIS_KEY_PREFIX }),
    );
    try {
      const ready = await pollUntil(
        () => http(long.url, 'GET', '/health/ready'),
        (r) => r.status === 200,
        15_000,
      );
      expect(ready.status).toBe(200);
      const user = await createUser(a, 'admin');
      const { accessToken } = await login(long, user);
      const adminRoute = (): Promise<HttpResult> =>
        http(long.url, 'GET', '/v1/admin/users?page=1&pageSize=1', { token: accessToken });

      await redis.stop();
      // Read and cached during the outage, after the drop on close: wait until the instance has
      // noticed the subscription is gone (the drop comes with it), not merely that Redis is down.
      await pollUntil(
        () => http(long.url, 'GET', '/health/ready'),
        (r) => r.status === 503,
        15_000,
      );
      await waitFor('the subscription to be noticed closed', () => !long.app.get(UserIdentities).listening, {
        timeoutMs: 15_000,
        intervalMs: 20,
      });
      expect((await adminRoute()).status).toBe(200);
      // A change no message can announce: the entry stays (TTL 60 s) until the reconnect drops it.
      await a.app.get(PrismaService).user.update({ where: { id: user.id }, data: { role: 'user' } });
      expect((await adminRoute()).status).toBe(200);
      expect(long.app.get(UserIdentities).cachedEntries).toBeGreaterThan(0);
      expect(long.app.get(UserIdentities).listening).toBe(false);

      await redis.start();
      const res = await pollUntil(adminRoute, (r) => r.status === 403, 15_000);
      expectProblem(res, 403, 'FORBIDDEN');
      expect(long.app.get(UserIdentities).listening).toBe(true);
    } finally {
      await long.close();
    }
  });
});

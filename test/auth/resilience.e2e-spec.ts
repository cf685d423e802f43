import Redis from 'ioredis';
import { LockoutService } from '../../src/features/auth/lockout/lockout.service';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { PrivateRedis } from '../helpers/processes';
import { waitFor } from '../../tools/harness';
import { createUser, TestUser } from './fixtures';
import { must } from '../helpers/must';

const loginOnce = (gw: TestApp, user: TestUser) =>
  http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password } });

describe('password-hashing bulkhead (concurrency 1, queue 0)', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '0' });
  });
  afterAll(() => gw.close());

  it('answers a burst of parallel logins with some 503 SERVICE_UNAVAILABLE + Retry-After and never a 500', async () => {
    // 24 logins over 6 users: 4 at once per user, below LOCKOUT_THRESHOLD (5). Every attempt is
    // counted when it begins, so 5 parallel logins of one user could lock it (423) before any ends.
    const users: TestUser[] = [];
    for (let i = 0; i < 6; i += 1) users.push(await createUser(gw)); // sequential: the bulkhead admits one hash
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => loginOnce(gw, must(users[i % users.length], 'a user'))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses).toContain(200);
    const refused = results.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const res of refused) {
      expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Once the burst is over, logins work again.
    expect((await loginOnce(gw, must(users[0], 'a user'))).status).toBe(200);
  });

  it('counts only verified wrong passwords as failures, never a refused (503) attempt', async () => {
    const user = await createUser(gw);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => loginOnce(gw, { ...user, password: 'wrong-password!' })),
    );
    const verified = results.filter((r) => r.status === 401).length;
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 401 || s === 503 || s === 423)).toBe(true);
    const redis = new Redis(gw.env.REDIS_URL);
    try {
      const count = await redis.get(`${gw.env.REDIS_KEY_PREFIX}${gw.app.get(LockoutService).keyFor(user.email)}`);
      expect(Number(count)).toBe(verified);
    } finally {
      redis.disconnect();
    }
  });
});

describe('login while Redis (the lockout store) is down', () => {
  let redis: PrivateRedis;
  let gw: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    gw = await startApp({ REDIS_URL: redis.url() });
    user = await createUser(gw);
  });
  afterAll(async () => {
    await gw.close();
    await redis.destroy();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After instead of skipping lockout, and recovers on its own', async () => {
    expect((await loginOnce(gw, user)).status).toBe(200);

    await redis.stop();
    for (const password of [user.password, 'wrong-password!']) {
      const res = await http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password } });
      expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.text).not.toMatch(/redis|ECONNREFUSED|127\.0\.0\.1/i);
    }

    await redis.start();
    // The client reconnects with backoff: wait for it (bounded) rather than for a fixed time.
    let status = 0;
    await waitFor('a login after Redis came back', async () => {
      status = (await loginOnce(gw, user)).status;
      return status === 200;
    }).catch(() => undefined);
    expect(status).toBe(200);
  });
});

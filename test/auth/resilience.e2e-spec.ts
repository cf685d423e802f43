import Redis from 'ioredis';
import { LockoutService } from '../../src/features/auth/lockout/lockout.service';
import { PasswordHasher } from '../../src/features/users/credentials/password-hasher';
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
      const keys = gw.app.get(LockoutService).keys.attempt(user.email, '127.0.0.1');
      const count = await redis.get(`${gw.env.REDIS_KEY_PREFIX}${keys.pair}`);
      // Refused attempts were given back on every counter, the per-client one across accounts too.
      expect(Number(await redis.get(`${gw.env.REDIS_KEY_PREFIX}${keys.byClient}`))).toBe(verified);
      expect(Number(count)).toBe(verified);
    } finally {
      redis.disconnect();
    }
  });
});

describe('liveness during a login flood (default hashing slots and queue)', () => {
  let gw: TestApp;
  beforeAll(async () => {
    // The test limits (raised) let every attempt reach the hashing bulkhead (new email each time).
    gw = await startApp();
  });
  afterAll(() => gw.close());

  it('answers GET /health/live while every hashing slot and queue place is taken', async () => {
    const hasher = gw.app.get(PasswordHasher);
    let flooding = true;
    const statuses = new Map<number, number>();
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; flooding; i += 1) {
        const res = await http(gw.url, 'POST', '/v1/auth/login', {
          body: { email: `flood-${w}-${i}@example.test`, password: 'wrong-password-1234' },
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    const flood = Promise.all(Array.from({ length: 40 }, (_, w) => worker(w)));
    try {
      // The bulkhead is saturated: a login now would be refused.
      await waitFor('the hashing bulkhead to fill', () => {
        try {
          hasher.assertCapacity();
          return false;
        } catch {
          return true;
        }
      });
      for (let probe = 0; probe < 5; probe += 1) {
        const live = await http(gw.url, 'GET', '/health/live');
        expect(live.status).toBe(200);
        // Still flooded when the probe answered: the answer did not wait for the hashes to drain.
        expect(hasher.queued).toBeGreaterThan(0);
      }
    } finally {
      flooding = false;
      await flood;
    }
    // Wrong passwords were verified (401) and the excess refused at once (503), nothing else.
    expect([...statuses.keys()].sort()).toEqual([401, 503]);
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
    const signedIn = await loginOnce(gw, user);
    expect(signedIn.status).toBe(200);

    await redis.stop();
    // Refresh takes a random token, nothing to guess: it does not need the lockout store.
    const refreshed = await http(gw.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: signedIn.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
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

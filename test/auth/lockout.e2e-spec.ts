import Redis from 'ioredis';
import { LockoutService } from '../../src/features/auth/lockout/lockout.service';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { waitFor } from '../../tools/harness';
import { createUser, randomEmail, stableProblem } from './fixtures';
import { must } from '../helpers/must';

const attempt = (gw: TestApp, email: string, password: string) =>
  http(gw.url, 'POST', '/v1/auth/login', { body: { email, password } });

/** Every request of this file comes from 127.0.0.1 (the per-client counters' client). */
const CLIENT = '127.0.0.1';

describe('account lockout (threshold 3, 60 s)', () => {
  let gw: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    gw = await startApp({ LOCKOUT_THRESHOLD: '3', LOCKOUT_DURATION_SECONDS: '60' });
    redis = new Redis(gw.env.REDIS_URL, { lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    redis.disconnect();
    await gw.close();
  });

  it('locks after the threshold: 423 ACCOUNT_LOCKED with Retry-After, even with the right password [gate:1.3.3] [gate:1.3.5] [gate:1.3.7]', async () => {
    const user = await createUser(gw);
    for (let i = 0; i < 3; i += 1)
      expectProblem(await attempt(gw, user.email, 'wrong-password!'), 401, 'INVALID_CREDENTIALS');
    const locked = await attempt(gw, user.email, user.password);
    expectProblem(locked, 423, 'ACCOUNT_LOCKED');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Other spellings of the same email are the same identifier.
    expectProblem(await attempt(gw, user.email.toUpperCase(), user.password), 423, 'ACCOUNT_LOCKED');
  });

  it('locks unknown emails the same way, with the same body as a known one [gate:1.3.5]', async () => {
    const known = await createUser(gw);
    const unknown = randomEmail();
    const knownAnswers = [];
    const unknownAnswers = [];
    for (let i = 0; i < 4; i += 1) {
      knownAnswers.push(await attempt(gw, known.email, 'wrong-password!'));
      unknownAnswers.push(await attempt(gw, unknown, 'wrong-password!'));
    }
    expect(knownAnswers.map((r) => r.status)).toEqual([401, 401, 401, 423]);
    expect(unknownAnswers.map((r) => r.status)).toEqual([401, 401, 401, 423]);
    for (let i = 0; i < 4; i += 1) {
      const unknownAnswer = must(unknownAnswers[i], 'an answer for the unknown email');
      expect(stableProblem(unknownAnswer.body)).toEqual(stableProblem(must(knownAnswers[i], 'an answer').body));
    }
    // Both locks last the same; the two answers may straddle a second boundary (the count is
    // rounded up to whole seconds), so they may differ by the one second that passed between them.
    const unknownRetry = Number(unknownAnswers[3]?.headers.get('retry-after'));
    const knownRetry = Number(knownAnswers[3]?.headers.get('retry-after'));
    expect(Math.abs(unknownRetry - knownRetry)).toBeLessThanOrEqual(1);
    expect(unknownRetry).toBeGreaterThan(0);
  });

  it('resets the counter on a successful login [gate:1.3.6] [gate:1.3.9]', async () => {
    const user = await createUser(gw);
    await attempt(gw, user.email, 'wrong-password!');
    await attempt(gw, user.email, 'wrong-password!');
    expect((await attempt(gw, user.email, user.password)).status).toBe(200);
    await attempt(gw, user.email, 'wrong-password!');
    await attempt(gw, user.email, 'wrong-password!');
    expect((await attempt(gw, user.email, user.password)).status).toBe(200);
  });

  it('keeps raw emails out of Redis key names and sets the counter with a TTL [gate:1.3.1] [gate:1.3.2] [gate:1.3.4]', async () => {
    const user = await createUser(gw);
    await attempt(gw, user.email, 'wrong-password!');
    const keys = gw.app.get(LockoutService).keys.attempt(user.email, CLIENT);
    // One hash tag per account (one Cluster slot for all its counters); the client as a digest.
    // The client's counter across accounts shares the tag of its rate-limit budget (`{rl:<digest>}`).
    expect(keys.pair).toMatch(/^lockout:\{[0-9a-f]{64}\}:client:[0-9a-f]{32}$/);
    expect(keys.all).toMatch(/^lockout:\{[0-9a-f]{64}\}:all$/);
    expect(keys.byClient).toMatch(/^lockout:by-client:\{rl:[0-9a-f]{32}\}$/);
    for (const key of [keys.pair, keys.all, keys.byClient]) {
      expect(key).not.toContain(user.email.split('@')[0]);
      const full = `${gw.env.REDIS_KEY_PREFIX}${key}`;
      // The client's counter across accounts also holds this suite's earlier failures.
      const count = Number(await redis.get(full));
      expect({ key, counted: key === keys.byClient ? count >= 1 : count === 1 }).toEqual({ key, counted: true });
      const ttl = await redis.ttl(full);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    }
    const names = (await redis.keys(`${gw.env.REDIS_KEY_PREFIX}*`)).join(' ');
    expect(names).not.toContain('@example.test');
    expect(names).not.toContain(CLIENT);
  });

  it('lets a burst of 30 parallel guesses have at most the threshold (3) verified, the rest 423 [gate:1.3.4]', async () => {
    const user = await createUser(gw);
    const results = await Promise.all(Array.from({ length: 30 }, () => attempt(gw, user.email, 'wrong-password!')));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 423)).toHaveLength(27);
    const full = `${gw.env.REDIS_KEY_PREFIX}${gw.app.get(LockoutService).keys.attempt(user.email, CLIENT).pair}`;
    expect(await redis.get(full)).toBe('3');
    expect(await redis.ttl(full)).toBeGreaterThan(0);
    expectProblem(await attempt(gw, user.email, user.password), 423, 'ACCOUNT_LOCKED');
  });

  it('reports the lock through LockoutService.status', async () => {
    const user = await createUser(gw);
    const lockout = gw.app.get(LockoutService);
    expect(await lockout.status(user.email, CLIENT)).toEqual({ locked: false, retryAfterSeconds: 0 });
    for (let i = 0; i < 3; i += 1) await attempt(gw, user.email, 'wrong-password!');
    const status = await lockout.status(user.email, CLIENT);
    expect(status.locked).toBe(true);
    expect(status.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('LockoutService.clear unlocks an identifier, whatever the spelling of the email', async () => {
    const user = await createUser(gw);
    for (let i = 0; i < 3; i += 1) await attempt(gw, user.email, 'wrong-password!');
    expectProblem(await attempt(gw, user.email, user.password), 423, 'ACCOUNT_LOCKED');
    await gw.app.get(LockoutService).clear(` ${user.email.toUpperCase()} `);
    expect((await attempt(gw, user.email, user.password)).status).toBe(200);
  });
});

describe('lockout expiry', () => {
  /** The window the two failures and the locked attempt must fit in, even with slow hashing on a loaded machine. */
  const DURATION_SECONDS = 5;
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ LOCKOUT_THRESHOLD: '2', LOCKOUT_DURATION_SECONDS: String(DURATION_SECONDS) });
  });
  afterAll(() => gw.close());

  it('unlocks once the lock TTL has run out [gate:1.3.8]', async () => {
    const user = await createUser(gw);
    await attempt(gw, user.email, 'wrong-password!');
    await attempt(gw, user.email, 'wrong-password!');
    expectProblem(await attempt(gw, user.email, user.password), 423, 'ACCOUNT_LOCKED');
    // Attempts while locked are refused without counting, so asking again until the lock is gone is safe.
    let status = 0;
    await waitFor(
      'the lock to run out',
      async () => {
        status = (await attempt(gw, user.email, user.password)).status;
        return status !== 423;
      },
      { timeoutMs: DURATION_SECONDS * 1000 + 15_000, intervalMs: 250 },
    ).catch(() => undefined);
    expect(status).toBe(200);
  });
});

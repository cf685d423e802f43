import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { CommandMonitor, sleep, waitFor } from '../../../tools/harness';
import { redisOptions } from '../redis/redis-connection';
import { budgetKey } from './client-identity';
import { FallbackThrottlerStorage } from './fallback-throttler.storage';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('FallbackThrottlerStorage on a real Redis [gate:1.1.6] [gate:1.1.10]', () => {
  const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'gwtest:'}unit-${randomBytes(4).toString('hex')}:`;
  let redis: Redis;
  let raw: Redis; // no key prefix: sees the keys exactly as stored
  let storage: FallbackThrottlerStorage;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, redisOptions(prefix));
    raw = new Redis(REDIS_URL);
    await redis.connect();
    storage = new FallbackThrottlerStorage(redis);
  });
  afterAll(async () => {
    storage.onApplicationShutdown();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await redis.quit();
    await raw.quit();
  });

  const freshKey = (): string =>
    budgetKey(`198.51.100.${randomBytes(2).readUInt16BE() % 250}-${randomBytes(4).toString('hex')}`);

  it('counts each hit and reports the time left in the window', async () => {
    const key = freshKey();
    const hits = [];
    for (let i = 0; i < 3; i++) hits.push(await storage.increment(key, 60_000, 10, 60_000, 'global'));
    expect(hits.map((h) => h.totalHits)).toEqual([1, 2, 3]);
    expect(hits.every((h) => !h.isBlocked && h.timeToExpire >= 59 && h.timeToExpire <= 60)).toBe(true);
    expect(storage.store).toBe('redis');
  });

  it('reads a counter of the same budget in the same script call, whatever the limits answer', async () => {
    const key = freshKey();
    const counter = `counter:{${key}}`;
    const limit = { name: 'global', ttl: 60_000, limit: 1, blockDuration: 60_000 };
    const absent = await storage.incrementAllAndRead(key, [limit], [counter]);
    expect(absent.reads).toEqual([{ count: 0, ttlSeconds: -2 }]);
    await redis.set(counter, '7', 'EX', 30);
    const present = await storage.incrementAllAndRead(key, [limit], [counter]);
    expect(present.records.map((r) => r.isBlocked)).toEqual([true]);
    expect(present.reads?.[0]?.count).toBe(7);
    expect(present.reads?.[0]?.ttlSeconds).toBeGreaterThan(0);
    expect(present.reads?.[0]?.ttlSeconds).toBeLessThanOrEqual(30);
    // Reads never write: the counter is as it was.
    expect(await redis.get(counter)).toBe('7');
  });

  it("refuses to read a key outside the budget's hash tag (one Cluster slot per call)", async () => {
    const key = freshKey();
    const limit = { name: 'global', ttl: 60_000, limit: 10, blockDuration: 60_000 };
    await expect(storage.incrementAllAndRead(key, [limit], ['counter:{elsewhere}'])).rejects.toThrow(/hash tag/);
    expect(storage.store).toBe('redis');
  });

  it('sets the window expiry once, on the first hit, never extending it on later hits', async () => {
    const key = freshKey();
    await storage.increment(key, 60_000, 10, 60_000, 'global');
    const hitsKey = `${prefix}{${key}}:global:hits`;
    const first = await raw.pttl(hitsKey);
    await sleep(50);
    await storage.increment(key, 60_000, 10, 60_000, 'global');
    const second = await raw.pttl(hitsKey);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(0);
    expect(second).toBeLessThan(first);
  });

  it('blocks once the limit is passed and unblocks after the window', async () => {
    // A 3 s window: the three hits must land in one window even on a loaded machine.
    const key = freshKey();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await storage.increment(key, 3000, 2, 3000, 'global'));
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, true]);
    expect(results[2]?.timeToBlockExpire).toBe(3);

    // Once Redis has expired the window and the block (no fixed sleep: on a loaded machine it may take longer).
    const keys = [`${prefix}{${key}}:global:hits`, `${prefix}{${key}}:global:blocked`];
    await waitFor('the window and the block to expire', async () => (await raw.exists(...keys)) === 0, {
      timeoutMs: 15_000,
    });
    const after = await storage.increment(key, 3000, 2, 3000, 'global');
    expect(after).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('stores a budget under a namespaced, hash-tagged key that expires and holds no address in clear', async () => {
    const address = '203.0.113.77';
    const key = budgetKey(address);
    await storage.increment(key, 60_000, 1, 60_000, 'auth');
    await storage.increment(key, 60_000, 1, 60_000, 'auth'); // over the limit: creates the block key too

    const keys = (await raw.keys(`${prefix}*`)).filter((k) => k.includes(key));
    expect(keys.sort()).toEqual([`${prefix}{${key}}:auth:blocked`, `${prefix}{${key}}:auth:hits`]);
    for (const k of keys) {
      expect(k).toMatch(/^[^{]*\{rl:[0-9a-f]{32}\}:auth:(hits|blocked)$/);
      expect(k).not.toContain(address);
      const ttl = await raw.pttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });

  it('keeps each named limit separate for the same client', async () => {
    const key = freshKey();
    await storage.increment(key, 60_000, 1, 60_000, 'auth');
    const blockedAuth = await storage.increment(key, 60_000, 1, 60_000, 'auth');
    const global = await storage.increment(key, 60_000, 5, 60_000, 'global');
    expect(blockedAuth.isBlocked).toBe(true);
    expect(global).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('counts several named limits in one script call, under one hash tag', async () => {
    const key = freshKey();
    const limits = [
      { name: 'global', ttl: 60_000, limit: 5, blockDuration: 60_000 },
      { name: 'auth', ttl: 30_000, limit: 2, blockDuration: 30_000 },
    ];
    const monitor = await CommandMonitor.start([REDIS_URL]);
    let commands: string[][];
    try {
      const seen = await monitor.during(async () => {
        const records = await storage.incrementAll(key, limits);
        expect(records.map((r) => [r.totalHits, r.isBlocked, r.timeToExpire])).toEqual([
          [1, false, 60],
          [1, false, 30],
        ]);
      });
      // Other suites share this Redis: only this client's commands count.
      commands = seen.filter((c) => c.source !== 'lua' && c.args.some((a) => a.includes(key))).map((c) => c.args);
    } finally {
      monitor.stop();
    }
    expect(commands).toHaveLength(1);
    expect(['evalsha', 'eval']).toContain(commands[0]?.[0]?.toLowerCase());
    const keys = (await raw.keys(`${prefix}*`)).filter((k) => k.includes(key));
    expect(keys.sort()).toEqual([`${prefix}{${key}}:auth:hits`, `${prefix}{${key}}:global:hits`]);
  });

  it('stops at the first limit that refuses: later limits are not charged for that request', async () => {
    const key = freshKey();
    const limits = [
      { name: 'global', ttl: 60_000, limit: 1, blockDuration: 60_000 },
      { name: 'auth', ttl: 60_000, limit: 10, blockDuration: 60_000 },
    ];
    expect((await storage.incrementAll(key, limits)).map((r) => r.isBlocked)).toEqual([false, false]);
    const refused = await storage.incrementAll(key, limits);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ isBlocked: true, totalHits: 2 });
    expect(await raw.get(`${prefix}{${key}}:auth:hits`)).toBe('1');
  });
});

describe('FallbackThrottlerStorage while Redis is unreachable [gate:1.1.10]', () => {
  let redis: Redis;
  let storage: FallbackThrottlerStorage;
  let warn: jest.SpyInstance;

  beforeAll(() => {
    // Nothing listens on port 1; the client never connects and, without an offline queue, fails at once.
    redis = new Redis('redis://127.0.0.1:1', { ...redisOptions('gwtest:'), retryStrategy: () => null });
    redis.on('error', () => undefined);
    storage = new FallbackThrottlerStorage(redis);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => {
    warn.mockRestore();
    storage.onApplicationShutdown();
    redis.disconnect();
  });

  it('counts in memory, still refuses past the limit, and logs the switch once', async () => {
    const key = budgetKey('192.0.2.1');
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await storage.increment(key, 60_000, 3, 60_000, 'global'));
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    expect(results[3]?.timeToBlockExpire).toBeGreaterThanOrEqual(1);
    expect(storage.store).toBe('memory-fallback');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/counted in this instance's memory/);
  });

  it('keeps named limits separate in memory too', async () => {
    const key = budgetKey('192.0.2.2');
    await storage.increment(key, 60_000, 1, 60_000, 'auth');
    expect((await storage.increment(key, 60_000, 1, 60_000, 'auth')).isBlocked).toBe(true);
    expect((await storage.increment(key, 60_000, 5, 60_000, 'global')).isBlocked).toBe(false);
  });

  it('stops at the first limit that refuses in memory as in Redis', async () => {
    const key = budgetKey('192.0.2.3');
    const limits = [
      { name: 'global', ttl: 60_000, limit: 1, blockDuration: 60_000 },
      { name: 'auth', ttl: 60_000, limit: 10, blockDuration: 60_000 },
    ];
    expect(await storage.incrementAll(key, limits)).toHaveLength(2);
    const refused = await storage.incrementAll(key, limits);
    expect(refused.map((r) => r.isBlocked)).toEqual([true]);
  });
});

import Redis from 'ioredis';
import { CommandMonitor, PrivateRedis } from '../../../tools/harness';
import { redisOptions } from '../redis/redis-connection';
import { budgetKey } from './client-identity';
import { RedisRateLimitStorage } from './redis-rate-limit.storage';

/** A Redis of its own: this suite flushes its scripts, which no other suite should see. */
describe('RedisRateLimitStorage on a real Redis that loses its scripts', () => {
  const prefix = 'gwtest:scripts:';
  let server: PrivateRedis;
  let redis: Redis;
  let raw: Redis;
  let storage: RedisRateLimitStorage;
  const limit = { name: 'global', ttl: 60_000, limit: 5, blockDuration: 60_000 };

  beforeAll(async () => {
    server = await PrivateRedis.start();
    redis = new Redis(server.url(), redisOptions(prefix));
    raw = new Redis(server.url());
    await redis.connect();
    storage = new RedisRateLimitStorage(redis);
  });
  afterAll(async () => {
    redis.disconnect();
    raw.disconnect();
    await server.destroy();
  });

  it('sends EVALSHA, and the script itself only when the server answers NOSCRIPT', async () => {
    const budget = budgetKey('192.0.2.10');
    const monitor = await CommandMonitor.start([server.url()]);
    try {
      const seen = await monitor.during(async () => {
        for (let i = 0; i < 3; i++) await storage.incrementAllAndRead(budget, [limit], []);
      });
      const sent = seen.filter((c) => c.source !== 'lua').map((c) => (c.args[0] ?? '').toLowerCase());
      // A fresh server holds no script: the first call is refused once, then runs as EVAL.
      expect(sent).toEqual(['evalsha', 'eval', 'evalsha', 'evalsha']);

      await raw.script('FLUSH');
      const afterFlush = await monitor.during(async () => {
        const answer = await storage.incrementAllAndRead(budget, [limit], []);
        expect(answer.records.map((r) => r.totalHits)).toEqual([4]);
      });
      expect(afterFlush.filter((c) => c.source !== 'lua').map((c) => (c.args[0] ?? '').toLowerCase())).toEqual([
        'evalsha',
        'eval',
      ]);
    } finally {
      monitor.stop();
    }
    // The keys carry the client's prefix and the budget's hash tag.
    expect(await raw.get(`${prefix}{${budget}}:global:hits`)).toBe('4');
  });

  it('passes on an error that is not NOSCRIPT', async () => {
    const budget = budgetKey('192.0.2.11');
    await raw.set(`${prefix}{${budget}}:global:hits`, 'not a number');
    await expect(storage.incrementAllAndRead(budget, [limit], [])).rejects.toThrow(/ERR|not an integer/);
  });
});

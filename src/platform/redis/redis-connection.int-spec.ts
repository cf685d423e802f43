import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { createRedisClient, redisOptions } from './redis-connection';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('the Redis client built from redisOptions(), on a real Redis', () => {
  const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'gwtest:'}conn-${randomBytes(4).toString('hex')}:`;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, redisOptions(prefix));
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
  });

  // A command held for a shared pipeline waits for the previous pipeline's answer, and keeps the
  // requests behind it (and their objects) alive across young-generation collections.
  it('writes each command to the socket when it is issued, not batched behind another pipeline', async () => {
    const stream = (redis as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const write = jest.spyOn(stream, 'write');
    try {
      const first = redis.incr('counter');
      const second = redis.get('counter');
      expect(write).toHaveBeenCalledTimes(2);
      await expect(first).resolves.toBe(1);
      await expect(second).resolves.toBe('1');
    } finally {
      write.mockRestore();
      await redis.del('counter');
    }
  });
});

describe('the clients of every topology', () => {
  // ioredis's Cluster auto-pipelining holds commands the same way, one shared pipeline in flight
  // per slot's master: it would bring back the wait and the promoted objects redisOptions() avoids.
  it('builds the Cluster client with auto-pipelining off, like the standalone and Sentinel clients', () => {
    const cluster = createRedisClient({
      mode: 'cluster',
      url: 'redis://127.0.0.1:7000',
      keyPrefix: 'gwtest:unused:',
      clusterNodes: ['127.0.0.1:7001'],
      sentinels: [],
    }) as Cluster;
    const sentinel = createRedisClient({
      mode: 'sentinel',
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'gwtest:unused:',
      clusterNodes: [],
      sentinels: ['127.0.0.1:26379'],
      sentinelMaster: 'unused',
    }) as Redis;
    try {
      expect(cluster.options.enableAutoPipelining).toBe(false);
      expect(sentinel.options.enableAutoPipelining).toBe(false);
    } finally {
      cluster.disconnect();
      sentinel.disconnect();
    }
  });
});

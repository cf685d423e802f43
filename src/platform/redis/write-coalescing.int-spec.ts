import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { countSocketWrites, redisSocket } from '../../../test/helpers/socket-writes';
import { redisOptions } from './redis-connection';
import { coalesceWritesPerTurn } from './write-coalescing';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
describe('Redis writes coalesced per event-loop turn, on a real Redis', () => {
  const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'gwtest:'}coalesce-${randomBytes(4).toString('hex')}:`;
  let redis: Redis;

  beforeEach(async () => {
    redis = coalesceWritesPerTurn(new Redis(REDIS_URL, redisOptions(prefix)));
    await redis.connect();
  });

  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((key) => key.slice(prefix.length)));
    await redis.quit();
  });

  it('sends the commands issued in one turn in one write, and answers each its own reply', async () => {
    const writes = countSocketWrites([redisSocket(redis)]);
    try {
      const replies = Array.from({ length: 20 }, (_, i) => redis.incrby(`turn:${i}`, i + 1));
      expect(writes.writes).toBe(0);
      expect(await Promise.all(replies)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect({ writes: writes.writes, chunks: writes.chunks }).toEqual({ writes: 1, chunks: 20 });
    } finally {
      writes.stop();
    }
  });

  it('sends a command issued in a later turn in a write of that turn', async () => {
    const writes = countSocketWrites([redisSocket(redis)]);
    try {
      await redis.set('later', 'a');
      await nextTurn();
      await redis.set('later', 'b');
      expect(await redis.get('later')).toBe('b');
      expect(writes.writes).toBe(3);
    } finally {
      writes.stop();
    }
  });

  it('runs a defined script (EVALSHA, EVAL when Redis lacks it) inside the same write', async () => {
    redis.defineCommand('coalesceCheck', { numberOfKeys: 1, lua: "return redis.call('INCR', KEYS[1])" });
    const script = redis as Redis & { coalesceCheck(key: string): Promise<number> };
    await redis.script('FLUSH');
    const replies = Array.from({ length: 5 }, () => script.coalesceCheck('scripted'));
    expect((await Promise.all(replies)).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('does not hold a command of a client that is not connected: it fails at once, as before', async () => {
    const offline = coalesceWritesPerTurn(new Redis(REDIS_URL, redisOptions(prefix)));
    await expect(offline.get('x')).rejects.toThrow("Stream isn't writeable");
    offline.disconnect();
  });
});

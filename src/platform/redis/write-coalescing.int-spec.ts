import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { countSocketWrites } from '../../../test/helpers/socket-writes';
import { redisOptions } from './redis-connection';
import { coalesceWritesPerTurn } from './write-coalescing';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Holds the event loop for `ms`, as a long collection or a starved core would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

/** A TCP proxy to `target` that forwards what the client sends `delayMs` late. */
async function delayingProxy(target: URL, delayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    open.add(client).add(upstream);
    client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), delayMs));
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const socketOf = (redis: Redis): Socket => (redis as unknown as { stream: Socket }).stream;

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
    const writes = countSocketWrites([socketOf(redis)]);
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
    const writes = countSocketWrites([socketOf(redis)]);
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

  it("counts a held command's timeout from its write: a stall between issue and write does not fail it", async () => {
    // Redis behind a proxy that forwards each request 50 ms late: after the stall the writes go
    // out, and only a timeout counted from the write leaves the reply time to come back.
    const proxy = await delayingProxy(new URL(REDIS_URL), 50);
    const delayed = coalesceWritesPerTurn(
      new Redis({ ...redisOptions(prefix), host: '127.0.0.1', port: proxy.port, enableReadyCheck: false }),
    );
    try {
      await delayed.connect();
      const timeout = redisOptions(prefix).commandTimeout ?? 0;
      expect(timeout).toBeGreaterThan(0);
      const replies = Array.from({ length: 30 }, (_, i) =>
        delayed.incr(`stall:${i}`).then(
          (value) => String(value),
          (error: Error) => error.message,
        ),
      );
      // The writes wait for the end of this turn, which comes after the stall.
      stall(timeout + 300);
      expect(await Promise.all(replies)).toEqual(Array.from({ length: 30 }, () => '1'));
    } finally {
      delayed.disconnect();
      await proxy.close();
    }
  });

  it('does not hold a command of a client that is not connected: it fails at once, as before', async () => {
    const offline = coalesceWritesPerTurn(new Redis(REDIS_URL, redisOptions(prefix)));
    await expect(offline.get('x')).rejects.toThrow("Stream isn't writeable");
    offline.disconnect();
  });

  describe('against a server that never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.push(socket);
        socket.resume();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('still fails a corked command Redis does not answer, with "Command timed out"', async () => {
      const { port } = server.address() as AddressInfo;
      const silent = coalesceWritesPerTurn(
        new Redis({ ...redisOptions(prefix), host: '127.0.0.1', port, enableReadyCheck: false }),
      );
      try {
        await silent.connect();
        const writes = countSocketWrites([socketOf(silent)]);
        const replies = [silent.get('a'), silent.get('b')];
        await expect(Promise.all(replies)).rejects.toThrow('Command timed out');
        expect(writes.writes).toBe(1);
        writes.stop();
      } finally {
        silent.disconnect();
      }
    });
  });
});

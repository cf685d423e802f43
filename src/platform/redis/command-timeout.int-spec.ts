import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { countSocketWrites, redisSocket } from '../../../test/helpers/socket-writes';
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

describe('Redis command timeouts, on a real Redis', () => {
  const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'gwtest:'}timeout-${randomBytes(4).toString('hex')}:`;

  const keys = Array.from({ length: 30 }, (_, i) => `burst:${i}`);

  /**
   * Issues one INCR per key at once, then holds the event loop past the command timeout: the
   * replies (each "1", or the error's message), with the keys deleted again.
   */
  async function burstThenStall(redis: Redis): Promise<string[]> {
    const timeout = redisOptions(prefix).commandTimeout ?? 0;
    expect(timeout).toBeGreaterThan(0);
    const replies = keys.map((key) =>
      redis.incr(key).then(
        (value) => String(value),
        (error: Error) => error.message,
      ),
    );
    stall(timeout + 300);
    return Promise.all(replies);
  }

  afterEach(async () => {
    const cleaner = new Redis(REDIS_URL, redisOptions(prefix));
    await cleaner.connect();
    await cleaner.del(...keys);
    await cleaner.quit();
  });

  it('keeps answers that arrived in time when the event loop stalls past the timeout', async () => {
    const redis = new Redis(REDIS_URL, redisOptions(prefix));
    try {
      await redis.connect();
      expect(await burstThenStall(redis)).toEqual(keys.map(() => '1'));
    } finally {
      await redis.quit();
    }
  });

  it("counts a held command's timeout from its write: a stall between issue and write does not fail it", async () => {
    // Redis behind a proxy that forwards each request 50 ms late. The held writes go out at the
    // end of the turn, after the stall: only a timeout counted from the write leaves the replies
    // time to come back.
    const proxy = await delayingProxy(new URL(REDIS_URL), 50);
    const delayed = coalesceWritesPerTurn(
      new Redis({ ...redisOptions(prefix), host: '127.0.0.1', port: proxy.port, enableReadyCheck: false }),
    );
    try {
      await delayed.connect();
      expect(await burstThenStall(delayed)).toEqual(keys.map(() => '1'));
    } finally {
      delayed.disconnect();
      await proxy.close();
    }
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

    it('still fails a command Redis does not answer, with "Command timed out"', async () => {
      const { port } = server.address() as AddressInfo;
      const redis = new Redis({ ...redisOptions(prefix), host: '127.0.0.1', port, enableReadyCheck: false });
      try {
        await redis.connect();
        await expect(redis.get('anything')).rejects.toThrow('Command timed out');
      } finally {
        redis.disconnect();
      }
    });

    it('still fails a corked command Redis does not answer, with "Command timed out"', async () => {
      const { port } = server.address() as AddressInfo;
      const silent = coalesceWritesPerTurn(
        new Redis({ ...redisOptions(prefix), host: '127.0.0.1', port, enableReadyCheck: false }),
      );
      try {
        await silent.connect();
        const writes = countSocketWrites([redisSocket(silent)]);
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

import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { redisOptions } from './redis-connection';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Holds the event loop for `ms`, as a long collection or a starved core would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('Redis command timeouts, on a real Redis', () => {
  const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'gwtest:'}timeout-${randomBytes(4).toString('hex')}:`;

  it('keeps answers that arrived in time when the event loop stalls past the timeout', async () => {
    const redis = new Redis(REDIS_URL, redisOptions(prefix));
    try {
      await redis.connect();
      const timeout = redisOptions(prefix).commandTimeout ?? 0;
      expect(timeout).toBeGreaterThan(0);
      const replies = Array.from({ length: 30 }, (_, i) =>
        redis.incr(`burst:${i}`).then(
          (value) => String(value),
          (error: Error) => error.message,
        ),
      );
      stall(timeout + 300);
      expect(await Promise.all(replies)).toEqual(Array.from({ length: 30 }, () => '1'));
    } finally {
      await redis.del(...Array.from({ length: 30 }, (_, i) => `burst:${i}`));
      await redis.quit();
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
  });
});

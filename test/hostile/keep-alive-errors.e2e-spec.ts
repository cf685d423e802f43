import { connect, Socket } from 'node:net';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createUser } from '../auth/fixtures';
import { startApp, TestApp } from '../helpers/app';
import { dbSnapshot } from '../helpers/db-snapshot';

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/**
 * A raw keep-alive connection: sends bytes, and reads whole responses one by one (by
 * Content-Length), so a second request goes out on the same socket after the first answer.
 */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string): void {
    this.socket.write(data);
  }

  /** The next complete response, or undefined if the socket closed first (or after `timeoutMs`). */
  async next(timeoutMs = 15_000): Promise<RawResponse | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.take();
      if (parsed) return parsed;
      if (this.closed || Date.now() > deadline) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 200).unref();
      });
    }
  }

  private take(): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const headers = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/content-length:\s*(\d+)/i.exec(headers)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return undefined;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]), headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}

function expectRawProblem(response: RawResponse | undefined, status: number, code: string): void {
  expect(response?.status).toBe(status);
  expect(response?.headers).toMatch(/content-type: application\/problem\+json/i);
  expect(JSON.parse(response!.body)).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      code,
      detail: expect.any(String),
    }),
  );
}

const FIRST = 'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n';

describe('errors on a reused keep-alive socket still answer problem+json (issue 12, item 5) [gate:1.4.8]', () => {
  let gw: TestApp;
  let prisma: PrismaService;
  let userIds: string[];
  beforeAll(async () => {
    gw = await startApp({ REQUEST_TIMEOUT_MS: '1500' });
    prisma = gw.app.get(PrismaService);
    userIds = [(await createUser(gw)).id];
  });
  afterAll(() => gw.close());

  it('oversized headers on the second request of a socket are 431 problem+json', async () => {
    const before = await dbSnapshot(prisma, userIds);
    const connection = await RawConnection.open(gw.url);
    try {
      connection.write(FIRST);
      expect((await connection.next())?.status).toBe(200);
      connection.write(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      expectRawProblem(await connection.next(), 431, 'HEADERS_TOO_LARGE');
    } finally {
      connection.close();
    }
    expect(await dbSnapshot(prisma, userIds)).toEqual(before);
  });

  it('a slow second request on a socket is cut off with 408 problem+json', async () => {
    const before = await dbSnapshot(prisma, userIds);
    const connection = await RawConnection.open(gw.url);
    try {
      connection.write(FIRST);
      expect((await connection.next())?.status).toBe(200);
      connection.write(
        'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":',
      );
      expectRawProblem(await connection.next(), 408, 'REQUEST_TIMEOUT');
    } finally {
      connection.close();
    }
    expect(await dbSnapshot(prisma, userIds)).toEqual(before);
  });

  it('garbage after a first response is 400 problem+json on the same socket', async () => {
    const connection = await RawConnection.open(gw.url);
    try {
      connection.write(FIRST);
      expect((await connection.next())?.status).toBe(200);
      connection.write('NOT-HTTP \x01\x02\r\n\r\n');
      expectRawProblem(await connection.next(), 400, 'BAD_REQUEST');
    } finally {
      connection.close();
    }
  });
});

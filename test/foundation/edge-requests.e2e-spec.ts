import { connect } from 'node:net';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { PrivateRedis } from '../helpers/processes';
import { waitFor } from '../../tools/harness';

/** Sends raw bytes and returns the raw HTTP answer (for what fetch refuses to send). */
function raw(url: string, request: string, waitMs = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, waitMs).unref();
  });
}

function parseRaw(answer: string): { status: number; type: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
    type: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
    body: JSON.parse(body) as Record<string, unknown>,
  };
}

describe('requests rejected before routing still answer problem+json', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ REQUEST_TIMEOUT_MS: '1500' });
  });
  afterAll(() => gw.close());

  it('an invalid percent-encoding is 400 problem+json and the URL is not echoed', async () => {
    const res = await http(gw.url, 'GET', '/v1/admin/users/%ZZevil');
    expectProblem(res, 400, 'BAD_REQUEST');
    expect(res.text).not.toContain('evil');
  });

  it('an overlong path parameter is 414 problem+json and the URL is not echoed', async () => {
    const res = await http(gw.url, 'GET', `/v1/payments/${'a'.repeat(300)}`);
    expectProblem(res, 414, 'URI_TOO_LONG');
    expect(res.text).not.toContain('a'.repeat(300));
  });

  it('oversized headers are 431 problem+json', async () => {
    const answer = parseRaw(
      await raw(gw.url, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`),
    );
    expect(answer.status).toBe(431);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });

  it('a body that never finishes arriving is cut off with 408 after REQUEST_TIMEOUT_MS', async () => {
    const answer = await raw(
      gw.url,
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":',
      8000,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(parseRaw(answer).body).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
  });

  it('a malformed bearer token is 401 TOKEN_INVALID on every protected route, never a 500', async () => {
    const b64 = (v: string): string => Buffer.from(v).toString('base64url');
    const tokens = [
      `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64('notjson')}.x`,
      `${b64('{{{')}.${b64('{}')}.x`,
      'not-a-jwt',
    ];
    for (const token of tokens) {
      for (const path of ['/v1/auth/me', '/v1/admin/users', '/v1/payments/8f5b8f4e-9d4c-4b8a-9a57-0b1f2d3c4e5f']) {
        expectProblem(await http(gw.url, 'GET', path, { token }), 401, 'TOKEN_INVALID');
      }
    }
    expect(gw.rawLogs()).not.toContain('Unhandled error');
  });
});

describe('readiness under a probe flood', () => {
  /** Long enough that the burst and stopping Redis fit inside one cached result even on a loaded machine. */
  const CACHE_MS = 5000;
  let redis: PrivateRedis;
  let gw: TestApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    gw = await startApp({ REDIS_URL: redis.url(), HEALTH_READY_CACHE_MS: String(CACHE_MS) });
  });
  afterAll(async () => {
    await gw.close();
    await redis.destroy();
  });

  it('reuses one result for HEALTH_READY_CACHE_MS, then reports the outage', async () => {
    const burst = await Promise.all(Array.from({ length: 50 }, () => http(gw.url, 'GET', '/health/ready')));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    await redis.stop();
    expect((await http(gw.url, 'GET', '/health/ready')).status).toBe(200); // still the cached result
    // Once the cached result has aged out, the next probe checks again and sees the outage.
    let status = 0;
    await waitFor(
      'readiness to report the outage',
      async () => {
        status = (await http(gw.url, 'GET', '/health/ready')).status;
        return status === 503;
      },
      { timeoutMs: CACHE_MS + 15_000, intervalMs: 250 },
    ).catch(() => undefined);
    expect(status).toBe(503);
  });
});

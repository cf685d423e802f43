import Redis from 'ioredis';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { rateLimitStore } from '../helpers/metrics';
import { PrivateRedis } from '../helpers/processes';
import { CommandMonitor, sleep, waitFor } from '../../tools/harness';
import { RateLimitProbeModule } from './rate-limit-probe.module';

describe('rate limiting while Redis goes away and comes back', () => {
  let redis: PrivateRedis;
  let gw: TestApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    gw = await startApp(
      { REDIS_URL: redis.url(), RATE_LIMIT_GLOBAL_LIMIT: '3', METRICS_PORT: '0' },
      { imports: [RateLimitProbeModule] },
    );
  });
  afterAll(async () => {
    await gw.close();
    await redis.destroy();
  });

  const limited = (): Promise<HttpResult> => http(gw.url, 'GET', '/v1/limited');
  const switchLines = (pattern: RegExp): unknown[] =>
    gw.logs.filter((line) => typeof line.msg === 'string' && pattern.test(line.msg));

  it('counts in Redis while it is up', async () => {
    expect((await limited()).status).toBe(200);
    expect((await limited()).status).toBe(200);
    expect(await rateLimitStore(gw)).toBe('redis');
  });

  it('falls back to per-instance memory limits when Redis stops: no crash, no hang, still 429 past the limit', async () => {
    await redis.stop();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await limited()).status);
    // The in-memory budget starts fresh at the switch; it is enforced all the same.
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const refused = await limited();
    expectProblem(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await http(gw.url, 'GET', '/health/live')).status).toBe(200);
  });

  it('shows the fallback on the metrics listener; readiness is 503 because of Redis itself', async () => {
    const ready = await http(gw.url, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ error: { redis: { status: 'down' } } });
    expect(await rateLimitStore(gw)).toBe('memory-fallback');
  });

  it('logs the switch to memory once, not once per request', () => {
    expect(switchLines(/counted in this instance's memory/)).toHaveLength(1);
  });

  it('goes back to the shared Redis counts when Redis returns', async () => {
    await redis.start();
    let store: unknown;
    await waitFor('the limiter to count in Redis again', async () => {
      store = await rateLimitStore(gw);
      return store === 'redis';
    }).catch(() => undefined);
    expect(store).toBe('redis');
    expect(switchLines(/shared across instances again/)).toHaveLength(1);

    // The restarted Redis is empty (no persistence): a fresh shared budget, counted there again.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const inspector = new Redis(redis.url());
    try {
      const keys = await inspector.keys(`${gw.env.REDIS_KEY_PREFIX}{rl:*}:global:*`);
      expect(keys.length).toBeGreaterThanOrEqual(1);
    } finally {
      inspector.disconnect();
    }
  });
});

describe('rate limiting while Redis stalls without dropping the connection', () => {
  let redis: PrivateRedis;
  let gw: TestApp;
  let admin: Redis;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    admin = new Redis(redis.url());
    gw = await startApp(
      { REDIS_URL: redis.url(), RATE_LIMIT_GLOBAL_LIMIT: '50', METRICS_PORT: '0' },
      { imports: [RateLimitProbeModule] },
    );
  });
  afterAll(async () => {
    admin.disconnect();
    await gw.close();
    await redis.destroy();
  });

  it('answers from memory after the command timeout, then a later request finds Redis again', async () => {
    await admin.call('client', 'pause', '1500', 'ALL');
    const stalled = await http(gw.url, 'GET', '/v1/limited');
    expect(stalled.status).toBe(200); // the 1 s command timeout, not a hang and not a 500
    expect(await rateLimitStore(gw)).toBe('memory-fallback');

    let store: string | undefined;
    for (let i = 0; i < 50 && store !== 'redis'; i++) {
      await sleep(100);
      expect((await http(gw.url, 'GET', '/v1/limited')).status).toBe(200); // one of these probes Redis
      store = await rateLimitStore(gw);
    }
    expect(store).toBe('redis');
  });
});

describe('Redis round trips per protected request', () => {
  let redis: PrivateRedis;
  let gw: TestApp;
  let client: Redis;
  let monitor: CommandMonitor;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    gw = await startApp({ REDIS_URL: redis.url() }, { imports: [RateLimitProbeModule] });
    client = new Redis(redis.url());
    monitor = await CommandMonitor.start([redis.url()]);
    // The first call loads the script (EVALSHA answers NOSCRIPT, then EVAL); later calls are EVALSHA only.
    expect((await http(gw.url, 'GET', '/v1/limited')).status).toBe(200);
  });
  afterAll(async () => {
    monitor.stop();
    client.disconnect();
    await gw.close();
    await redis.destroy();
  });

  /** Commands the gateway sent over the wire (commands a Lua script runs inside Redis are not round trips). */
  async function roundTripsFor(requests: number, method: string, path: string): Promise<string[]> {
    const commands = await monitor.during(async () => {
      for (let i = 0; i < requests; i++)
        expect((await http(gw.url, method, path, method === 'GET' ? {} : { body: {} })).status).toBe(200);
    });
    return commands.filter((c) => c.source !== 'lua').map((c) => (c.args[0] ?? '').toLowerCase());
  }

  it('is one atomic script call for all named limits: 1 on an ordinary route, 1 on an auth route (global and auth)', async () => {
    const ordinary = await roundTripsFor(10, 'GET', '/v1/limited');
    expect(ordinary).toHaveLength(10);
    expect(new Set(ordinary)).toEqual(new Set(['evalsha']));

    const auth = await roundTripsFor(10, 'POST', '/v1/auth/probe-login');
    expect(auth).toHaveLength(10);
    expect(new Set(auth)).toEqual(new Set(['evalsha']));
  });

  it('keeps every key of one client in one Cluster slot: one hash tag across limits', async () => {
    await roundTripsFor(1, 'POST', '/v1/auth/probe-login');
    const keys = await client.keys(`${gw.env.REDIS_KEY_PREFIX}*`);
    const limitKeys = keys.filter((k) => /\{rl:[0-9a-f]{32}\}:(global|auth):hits$/.test(k));
    expect(new Set(limitKeys.map((k) => k.slice(gw.env.REDIS_KEY_PREFIX.length).split(':')[2]))).toEqual(
      new Set(['global', 'auth']),
    );
    const tags = new Set(limitKeys.map((k) => /\{[^}]+\}/.exec(k)![0]));
    expect(tags.size).toBe(1);
  });

  it('is none on an exempt route', async () => {
    expect(await roundTripsFor(5, 'GET', '/v1/limited/exempt')).toHaveLength(0);
  });
});

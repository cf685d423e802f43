import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { RateLimitProbeModule } from './rate-limit-probe.module';

const probes = { imports: [RateLimitProbeModule] };

function expectRateLimitHeaders(res: HttpResult, policy: string, limit: number, remaining: number): void {
  expect(res.headers.get('ratelimit-policy')).toContain(`"${policy}";q=${limit};w=60`);
  expect(res.headers.get('ratelimit')).toMatch(new RegExp(`"${policy}";r=${remaining};t=\\d+`));
}

describe('rate limits [gate:1.1.11]', () => {
  describe('global limit on an ordinary route', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '5' }, probes);
    });
    afterAll(() => gw.close());

    it('lets the first requests through with X-RateLimit-* and RateLimit headers counting down', async () => {
      for (let i = 1; i <= 5; i++) {
        const res = await http(gw.url, 'GET', '/v1/limited');
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBe('5');
        expect(res.headers.get('x-ratelimit-remaining')).toBe(String(5 - i));
        expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
        expectRateLimitHeaders(res, 'global', 5, 5 - i);
      }
    });

    it('answers 429 RATE_LIMITED problem+json with Retry-After in whole seconds once the budget is spent [gate:1.1.7]', async () => {
      const res = await http(gw.url, 'GET', '/v1/limited');
      expectProblem(res, 429, 'RATE_LIMITED');
      const retryAfter = res.headers.get('retry-after') ?? '';
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(res.headers.get('x-ratelimit-reset')).toBe(retryAfter);
      expectRateLimitHeaders(res, 'global', 5, 0);
      expect(res.headers.get('ratelimit')).toBe(`"global";r=0;t=${retryAfter}`);
    });

    it('keeps refusing every later request in the window (the refusals are not a fresh budget)', async () => {
      for (let i = 0; i < 5; i++) expectProblem(await http(gw.url, 'GET', '/v1/limited'), 429, 'RATE_LIMITED');
    });

    it('never limits the health routes, even for a client whose budget is spent (regression) [gate:1.1.9] [gate:1.1.12]', async () => {
      for (let i = 0; i < 12; i++) {
        const live = await http(gw.url, 'GET', '/health/live');
        const ready = await http(gw.url, 'GET', '/health/ready');
        expect([live.status, ready.status]).toEqual([200, 200]);
        for (const res of [live, ready]) {
          expect(res.headers.get('ratelimit')).toBeNull();
          expect(res.headers.get('x-ratelimit-remaining')).toBeNull();
        }
      }
      expect((await http(gw.url, 'GET', '/health/ready')).body).toMatchObject({
        info: { database: { status: 'up' }, redis: { status: 'up' } },
      });
    });

    it('never limits a route marked @SkipRateLimit(), even for a client whose budget is spent [gate:1.1.9]', async () => {
      for (let i = 0; i < 8; i++) {
        const res = await http(gw.url, 'GET', '/v1/limited/exempt');
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit')).toBeNull();
      }
    });
  });

  describe('auth limit on the credential routes', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '20', RATE_LIMIT_AUTH_LIMIT: '3' }, probes);
    });
    afterAll(() => gw.close());

    it('applies both limits to auth routes and reports both policies', async () => {
      const res = await http(gw.url, 'POST', '/v1/auth/probe-login', { body: {} });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe('"global";q=20;w=60, "auth";q=3;w=60');
      expect(res.headers.get('ratelimit')).toMatch(/^"global";r=19;t=\d+, "auth";r=2;t=\d+$/);
      expect(res.headers.get('x-ratelimit-limit')).toBe('3');
      expect(res.headers.get('x-ratelimit-remaining')).toBe('2');
    });

    it('refuses the credential routes after the stricter auth budget, shared by all of them [gate:1.1.8]', async () => {
      const me = await http(gw.url, 'GET', '/v1/auth/probe-me');
      expect(me.status).toBe(200);
      expect(me.headers.get('ratelimit-policy')).toBe('"global";q=20;w=60');
      expect((await http(gw.url, 'POST', '/v1/auth/probe-refresh', { body: {} })).status).toBe(200);
      expect((await http(gw.url, 'POST', '/v1/auth/probe-login', { body: {} })).status).toBe(200);
      const refused = await http(gw.url, 'POST', '/v1/auth/probe-login', { body: {} });
      expectProblem(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('ratelimit')).toMatch(/"auth";r=0;t=\d+/);
      expectProblem(await http(gw.url, 'POST', '/v1/auth/probe-refresh?x=1', { body: {} }), 429, 'RATE_LIMITED');
      // A read under /v1/auth without a credential is not under the auth limit.
      expect((await http(gw.url, 'GET', '/v1/auth/probe-me?x=1')).status).toBe(200);
    });

    it('does not apply the auth limit outside /v1/auth: other routes still have global budget', async () => {
      const res = await http(gw.url, 'GET', '/v1/limited');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-policy')).toBe('"global";q=20;w=60');
    });
  });

  describe('two gateway instances on one Redis', () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      a = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '4' }, probes);
      b = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '4', REDIS_KEY_PREFIX: a.env.REDIS_KEY_PREFIX }, probes);
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });

    it('enforce one shared limit, not one per instance [gate:1.1.7]', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await http(i % 2 ? b.url : a.url, 'GET', '/v1/limited')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
    });

    it('count concurrent requests exactly (atomic increments across instances)', async () => {
      const c = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '10' }, probes);
      const d = await startApp({ RATE_LIMIT_GLOBAL_LIMIT: '10', REDIS_KEY_PREFIX: c.env.REDIS_KEY_PREFIX }, probes);
      try {
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) => http(i % 2 ? d.url : c.url, 'GET', '/v1/limited')),
        );
        expect(results.filter((r) => r.status === 200)).toHaveLength(10);
        expect(results.filter((r) => r.status === 429)).toHaveLength(20);
      } finally {
        await c.close();
        await d.close();
      }
    });
  });
});

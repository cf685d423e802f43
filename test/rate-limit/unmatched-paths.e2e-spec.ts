import { startApp, type TestApp } from '../helpers/app';
import { metricsUrl, scrape } from '../helpers/metrics';
import { httpFrom } from '../helpers/source-address';

type LogLine = { msg?: string; req?: { url?: string; remoteAddress?: string }; res?: { statusCode?: number } };

/** The access lines logged for requests from `source`. */
function accessLines(gw: TestApp, source: string): LogLine[] {
  return (gw.logs as LogLine[]).filter((l) => l.msg === 'request completed' && l.req?.remoteAddress === source);
}

describe('every request counts and is logged: unmatched paths, refused bodies and the probe exemption', () => {
  const LIMIT = 6;
  const BODY_LIMIT = 1024;
  let gw: TestApp;

  beforeAll(async () => {
    gw = await startApp({
      RATE_LIMIT_GLOBAL_LIMIT: String(LIMIT),
      // The auth limit is raised so that only `global` can refuse the login route here.
      RATE_LIMIT_AUTH_LIMIT: '1000',
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      METRICS_PORT: '0',
    });
  });
  afterAll(() => gw.close());

  it('answers 429 RATE_LIMITED to a client that sends only 404s once its global budget is spent', async () => {
    const source = '127.0.0.61';
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const res = await httpFrom(source, gw.url, 'GET', `/v1/no-such-route/${i}`);
      statuses.push(res.status);
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - 1 - i));
    }
    expect(statuses).toEqual(Array(LIMIT).fill(404));
    const refused = await httpFrom(source, gw.url, 'GET', '/v1/no-such-route/again');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The same budget as real routes: a matched route is refused too.
    expect((await httpFrom(source, gw.url, 'GET', '/v1/auth/me')).status).toBe(429);
    // Another client is untouched.
    expect((await httpFrom('127.0.0.62', gw.url, 'GET', '/v1/no-such-route')).status).toBe(404);
  });

  it('counts bodies refused before the guards run (malformed JSON, 413, 415), then answers them 429', async () => {
    const source = '127.0.0.65';
    const refusedBodies: { options: Parameters<typeof httpFrom>[4]; status: number }[] = [
      { options: { rawBody: '{"email": "a@example.com", "password": ' }, status: 400 },
      { options: { rawBody: 'email=a&password=b', contentType: 'application/x-www-form-urlencoded' }, status: 415 },
      {
        options: { rawBody: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(2 * BODY_LIMIT) }) },
        status: 413,
      },
      { options: { rawBody: '{"a":'.repeat(64) + '1' + '}'.repeat(64) }, status: 400 },
    ];
    for (const [i, { options, status }] of refusedBodies.entries()) {
      const res = await httpFrom(source, gw.url, 'POST', '/v1/auth/login', options);
      expect([i, res.status]).toEqual([i, status]);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - 1 - i));
    }
    // Two more spend the budget; from then on a refused body is answered 429, and so is anything else.
    for (let i = refusedBodies.length; i < LIMIT; i++) {
      expect((await httpFrom(source, gw.url, 'POST', '/v1/auth/login', { rawBody: '{' })).status).toBe(400);
    }
    for (const { options } of refusedBodies) {
      const refused = await httpFrom(source, gw.url, 'POST', '/v1/auth/login', options);
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // A route with two limits (`global`, then `auth`): the first refuses, the second is not counted.
    const wellFormed = { email: 'nobody@example.com', password: 'not-the-password' };
    const login = await httpFrom(source, gw.url, 'POST', '/v1/auth/login', { body: wellFormed });
    expect(login.status).toBe(429);
    expect(login.headers.get('ratelimit-policy')).toMatch(/"global"/);
    // Another client is untouched.
    expect((await httpFrom('127.0.0.66', gw.url, 'POST', '/v1/auth/login', { rawBody: '{' })).status).toBe(400);
  });

  it('counts and logs paths that only look like the probes; exempts exactly /health/live and /health/ready', async () => {
    const source = '127.0.0.63';
    const lookalikes = ['/health/livex', '/health/ready/../x', '/health/', '/health/live/'];
    for (const path of lookalikes) {
      const res = await httpFrom(source, gw.url, 'GET', path, { verbatimPath: true });
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.headers.get('ratelimit')).toMatch(/"global";r=\d+/);
    }
    // The probes themselves, with or without a query string: neither counted nor logged.
    for (let i = 0; i < LIMIT + 2; i++) {
      for (const path of ['/health/live', '/health/ready', '/health/live?verbose=1']) {
        const res = await httpFrom(source, gw.url, 'GET', path);
        expect([path, res.status]).toEqual([path, 200]);
        expect(res.headers.get('ratelimit')).toBeNull();
      }
    }
    const budgetLeft = await httpFrom(source, gw.url, 'GET', '/health/nope');
    expect(budgetLeft.headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - lookalikes.length - 1));

    await waitForLines(gw, source, lookalikes.length + 1);
    const logged = accessLines(gw, source).map((l) => [l.req?.url, l.res?.statusCode]);
    expect(logged).toEqual([...lookalikes, '/health/nope'].map((path) => [path, 404]));
  });

  it('labels 404s in the metrics with one bounded route label, never the raw path', async () => {
    const source = '127.0.0.64';
    for (let i = 0; i < 3; i++) await httpFrom(source, gw.url, 'GET', `/v1/unique-path-${i}-${Date.now()}`);
    const metrics = await scrape(metricsUrl(gw));
    expect(metrics.text).not.toMatch(/unique-path-/);
    expect(
      metrics.value('gateway_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(3);
  });
});

async function waitForLines(gw: TestApp, source: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (accessLines(gw, source).length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('bodies refused on the credential routes spend the auth budget too', () => {
  const AUTH_LIMIT = 3;
  let gw: TestApp;

  beforeAll(async () => {
    gw = await startApp({ RATE_LIMIT_AUTH_LIMIT: String(AUTH_LIMIT), RATE_LIMIT_GLOBAL_LIMIT: '1000' });
  });
  afterAll(() => gw.close());

  it.each(['/v1/auth/login', '/v1/auth/refresh', '/v1/auth/logout'])(
    'counts malformed bodies on %s against auth, then answers 429 from auth',
    async (path) => {
      const source = `127.0.0.${70 + ['/v1/auth/login', '/v1/auth/refresh', '/v1/auth/logout'].indexOf(path)}`;
      for (let i = 0; i < AUTH_LIMIT; i++) {
        const res = await httpFrom(source, gw.url, 'POST', path, { rawBody: '{bad' });
        expect([i, res.status]).toEqual([i, 400]);
        expect(res.headers.get('ratelimit')).toContain(`"auth";r=${AUTH_LIMIT - 1 - i}`);
      }
      const refused = await httpFrom(source, gw.url, 'POST', path, { rawBody: '{bad' });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
      // The same budget the guard spends: a well-formed request on a credential route is refused too.
      const wellFormed = await httpFrom(source, gw.url, 'POST', '/v1/auth/login', {
        body: { email: 'nobody@example.com', password: 'not-the-password' },
      });
      expect(wellFormed.status).toBe(429);
      // A route outside `auth` still answers (only `global` applies there).
      expect((await httpFrom(source, gw.url, 'GET', '/v1/auth/me')).status).toBe(401);
    },
  );
});

import { randomBytes, randomUUID } from 'node:crypto';
import { createUser, randomEmail, randomPassword, type TestUser } from '../auth/fixtures';
import { http, HttpResult, startApp, TestApp } from '../helpers/app';
import { metricsUrl, Scrape, scrape } from '../helpers/metrics';
import { PrivateRedis } from '../helpers/processes';
import { ProviderStandIn } from '../helpers/provider-stand-in';
import { MetricsListener } from '../../src/platform/metrics/metrics.listener';
import { UNKNOWN_PAYMENTS_CACHE_MS } from '../../src/platform/metrics/metrics.service';
import { sleep, waitFor } from '../../tools/harness';
import { must } from '../helpers/must';

/** What the client saw, tallied per (method, route template, status) exactly as the gateway should label it. */
class Tally {
  readonly http = new Map<string, number>();
  readonly logins = { success: 0, invalid_credentials: 0, locked: 0, unavailable: 0 };
  rateLimitedAuth = 0;

  async send(
    gw: TestApp,
    method: string,
    path: string,
    route: string,
    options: Parameters<typeof http>[3] = {},
  ): Promise<HttpResult> {
    const result = await http(gw.url, method, path, options);
    const key = `${method} ${route} ${result.status}`;
    this.http.set(key, (this.http.get(key) ?? 0) + 1);
    return result;
  }

  async login(gw: TestApp, email: string, password: string): Promise<HttpResult> {
    const result = await this.send(gw, 'POST', '/v1/auth/login', '/v1/auth/login', { body: { email, password } });
    if (result.status === 200) this.logins.success += 1;
    else if (result.status === 401) this.logins.invalid_credentials += 1;
    else if (result.status === 423) this.logins.locked += 1;
    else if (result.status === 503) this.logins.unavailable += 1;
    else if (result.status === 429) this.rateLimitedAuth += 1;
    else throw new Error(`unexpected login answer ${result.status}: ${result.text}`);
    return result;
  }
}

const COUNTERS = [
  'gateway_rate_limited_total',
  'gateway_login_attempts_total',
  'gateway_account_lockouts_total',
  'gateway_refresh_rotations_total',
  'gateway_refresh_reuse_detected_total',
  'gateway_provider_calls_total',
  'gateway_payments_total',
];

function delta(after: Scrape, before: Scrape, name: string, labels: Record<string, string> = {}): number {
  return after.value(name, labels) - before.value(name, labels);
}

describe('Prometheus metrics after a scripted session', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let user: TestUser;
  let victim: TestUser;
  let before: Scrape;
  let after: Scrape;
  const tally = new Tally();
  /** Values the client sent that must never appear in a label. */
  const sensitive: string[] = [];
  let circuitStateBefore = NaN;

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({
      METRICS_PORT: '0',
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_RETRIES: '0',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_HALF_OPEN_AFTER_MS: '600000',
      LOCKOUT_THRESHOLD: '3',
      RATE_LIMIT_AUTH_LIMIT: '25',
      RATE_LIMIT_AUTH_TTL_SECONDS: '600',
    });
    user = await createUser(gw);
    victim = await createUser(gw);
    sensitive.push(
      user.email,
      user.password,
      victim.email,
      victim.password,
      gw.env.JWT_ACCESS_SECRET,
      gw.env.REFRESH_TOKEN_PEPPER,
      gw.env.PAYMENT_PROVIDER_API_KEY,
    );

    before = await scrape(metricsUrl(gw));
    circuitStateBefore = before.value('gateway_circuit_state', { circuit: 'payment_provider' });

    // Logins right and wrong.
    const pair = (await tally.login(gw, user.email, user.password)).body as {
      accessToken: string;
      refreshToken: string;
    };
    expect((await tally.login(gw, user.email.toUpperCase(), user.password)).status).toBe(200);
    expect((await tally.login(gw, user.email, randomPassword())).status).toBe(401);
    const stranger = randomEmail();
    sensitive.push(stranger);
    expect((await tally.login(gw, stranger, randomPassword())).status).toBe(401);
    // A lockout: three failures lock the victim; the fourth attempt, even with the right password, is 423.
    for (let i = 0; i < 3; i++) expect((await tally.login(gw, victim.email, randomPassword())).status).toBe(401);
    expect((await tally.login(gw, victim.email, victim.password)).status).toBe(423);
    expect((await tally.login(gw, victim.email, randomPassword())).status).toBe(423);
    // The login that reset the user's counter, then a protected read.
    sensitive.push(pair.accessToken, pair.refreshToken);
    const me = await tally.send(gw, 'GET', '/v1/auth/me', '/v1/auth/me', { token: pair.accessToken });
    expect(me.status).toBe(200);
    expect((await tally.send(gw, 'GET', '/v1/auth/me', '/v1/auth/me')).status).toBe(401);

    // One rotation, then the retired token again: reuse.
    const rotated = await tally.send(gw, 'POST', '/v1/auth/refresh', '/v1/auth/refresh', {
      body: { refreshToken: pair.refreshToken },
    });
    expect(rotated.status).toBe(200);
    sensitive.push(String(rotated.body.refreshToken));
    const reused = await tally.send(gw, 'POST', '/v1/auth/refresh', '/v1/auth/refresh', {
      body: { refreshToken: pair.refreshToken },
    });
    expect(reused.body.code).toBe('TOKEN_REUSED');
    const garbage = randomBytes(32).toString('base64url');
    sensitive.push(garbage);
    const invalid = await tally.send(gw, 'POST', '/v1/auth/refresh', '/v1/auth/refresh', {
      body: { refreshToken: garbage },
    });
    expect(invalid.body.code).toBe('TOKEN_INVALID');

    // Payments: one charged, then the provider fails until the breaker opens, then one refused at once.
    const access = String((await tally.login(gw, user.email, user.password)).body.accessToken);
    const pay = (key: string): Promise<HttpResult> =>
      tally.send(gw, 'POST', '/v1/payments', '/v1/payments', {
        token: access,
        headers: { 'idempotency-key': key },
        body: { amount: 1234, currency: 'EUR', recipientId: randomUUID() },
      });
    const newKey = (): string => `metrics-${randomBytes(8).toString('hex')}`;
    const paymentKeys = [newKey(), newKey(), newKey(), newKey()] as const;
    sensitive.push(...paymentKeys);
    provider.behave({ kind: 'succeed' });
    expect((await pay(paymentKeys[0])).status).toBe(201);
    provider.behave({ kind: 'error', httpStatus: 500 });
    expect((await pay(paymentKeys[1])).status).toBe(502);
    expect((await pay(paymentKeys[2])).status).toBe(502);
    const refused = await pay(paymentKeys[3]);
    expect(refused.body.code).toBe('CIRCUIT_OPEN');
    expect(provider.requestCount).toBe(3);

    // 200 requests for URLs no route matches, with client-chosen junk in them.
    for (let i = 0; i < 200; i++) {
      const junk = randomBytes(6).toString('hex');
      sensitive.push(junk);
      const method = must(['GET', 'POST', 'DELETE', 'PROPFIND'][i % 4], 'a method');
      const path = must(
        [`/${junk}`, `/v1/${junk}/x`, `/v1/payments/${junk}/${junk}`, `/v1/auth/login/${junk}?token=${junk}`][i % 4],
        'a path',
      );
      const result = await tally.send(gw, method, path, 'unmatched');
      expect(result.status).toBe(404);
    }
    // An existing path with a method it does not have is unmatched too, and so is /metrics here.
    expect((await tally.send(gw, 'DELETE', '/v1/auth/login', 'unmatched')).status).toBe(404);
    expect((await tally.send(gw, 'GET', '/metrics', 'unmatched')).status).toBe(404);

    // Exhaust the auth limit (25 per 10 min): wrong logins for fresh emails until two 429s.
    for (let i = 0; i < 40 && tally.rateLimitedAuth < 2; i++) {
      const email = randomEmail();
      sensitive.push(email);
      await tally.login(gw, email, randomPassword());
    }
    expect(tally.rateLimitedAuth).toBe(2);

    after = await scrape(metricsUrl(gw));
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await provider?.close();
  });

  it('counts logins by outcome exactly as the client saw them', () => {
    expect(tally.logins).toMatchObject({ locked: 2 });
    for (const [outcome, count] of Object.entries(tally.logins)) {
      expect({ outcome, delta: delta(after, before, 'gateway_login_attempts_total', { outcome }) }).toEqual({
        outcome,
        delta: count,
      });
    }
  });

  it('counts exactly one lockout, one rotation and one reuse', () => {
    expect(delta(after, before, 'gateway_account_lockouts_total')).toBe(1);
    expect(delta(after, before, 'gateway_refresh_rotations_total')).toBe(1);
    expect(delta(after, before, 'gateway_refresh_reuse_detected_total')).toBe(1);
  });

  it('counts each 429 under the limit that refused it', () => {
    expect(delta(after, before, 'gateway_rate_limited_total', { limit: 'auth' })).toBe(2);
    expect(delta(after, before, 'gateway_rate_limited_total', { limit: 'global' })).toBe(0);
  });

  it('shows the breaker open, provider attempts by outcome, and payments by status', async () => {
    expect(circuitStateBefore).toBe(0);
    expect(after.value('gateway_circuit_state', { circuit: 'payment_provider' })).toBe(2);
    expect(delta(after, before, 'gateway_provider_calls_total', { outcome: 'success' })).toBe(1);
    expect(delta(after, before, 'gateway_provider_calls_total', { outcome: 'error' })).toBe(2);
    expect(delta(after, before, 'gateway_provider_calls_total', { outcome: 'circuit_open' })).toBe(1);
    expect(delta(after, before, 'gateway_provider_calls_total', { outcome: 'timeout' })).toBe(0);
    expect(delta(after, before, 'gateway_provider_calls_total')).toBe(4);
    expect(delta(after, before, 'gateway_payments_total', { status: 'succeeded' })).toBe(1);
    expect(delta(after, before, 'gateway_payments_total', { status: 'unknown' })).toBe(2);
    expect(delta(after, before, 'gateway_payments_total')).toBe(3);
    // Other suites share this database, so the backlog is at least this session's two. The gauge
    // reads a backlog cached for UNKNOWN_PAYMENTS_CACHE_MS, so the scrape right after the session
    // may still show the count from before it: scrape again until the cache has turned over.
    const deadline = Date.now() + UNKNOWN_PAYMENTS_CACHE_MS * 3;
    let backlog = after;
    while (backlog.value('gateway_payments_unknown') < 2 && Date.now() < deadline) {
      await sleep(250);
      backlog = await scrape(metricsUrl(gw));
    }
    expect(backlog.value('gateway_payments_unknown')).toBeGreaterThanOrEqual(2);
    expect(backlog.value('gateway_payments_unknown_oldest_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('counts every HTTP response under its method, route template and status, and nothing else', () => {
    const moved = new Map<string, number>();
    for (const sample of after.series('gateway_http_requests_total')) {
      const { method = '', route = '', status = '' } = sample.labels;
      const was = before.value('gateway_http_requests_total', { method, route, status });
      if (sample.value !== was) moved.set(`${method} ${route} ${status}`, sample.value - was);
    }
    const expected = new Map(
      [...tally.http].map(([key, count]) => [key.replace(/^PROPFIND /, 'other '), count] as [string, number]),
    );
    // PROPFIND is folded into `other`: merge the expected counts the same way.
    const merged = new Map<string, number>();
    for (const [key, count] of expected) merged.set(key, (merged.get(key) ?? 0) + count);
    expect(Object.fromEntries([...moved].sort())).toEqual(Object.fromEntries([...merged].sort()));
    expect(merged.get('GET unmatched 404')).toBe(51);
    expect(merged.get('other unmatched 404')).toBe(50);

    // The histogram saw the same requests, per method and route.
    const durations = new Map<string, number>();
    for (const [key, count] of merged) {
      const [method, route] = key.split(' ');
      durations.set(`${method} ${route}`, (durations.get(`${method} ${route}`) ?? 0) + count);
    }
    for (const [key, count] of durations) {
      const [method = '', route = ''] = key.split(' ');
      expect({
        key,
        count: delta(after, before, 'gateway_http_request_duration_seconds_count', { method, route }),
      }).toEqual({
        key,
        count,
      });
    }
  });

  it('keeps the route label bounded: templates and one value for unmatched, whatever the URLs', () => {
    const routes = new Set(after.series('gateway_http_requests_total').map((s) => s.labels.route));
    expect([...routes].sort()).toEqual(
      ['/v1/auth/login', '/v1/auth/me', '/v1/auth/refresh', '/v1/payments', 'unmatched'].sort(),
    );
    const methods = new Set(after.series('gateway_http_requests_total').map((s) => s.labels.method));
    expect([...methods].every((m) => m !== undefined && ['GET', 'POST', 'DELETE', 'other'].includes(m))).toBe(true);
  });

  it('never puts a secret, token, email, password, key or client URL into the exposition', () => {
    for (const value of sensitive)
      expect({ leaked: after.text.includes(value), value }).toEqual({ leaked: false, value });
    for (const sample of after.samples) {
      for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/@|\?|token=/);
    }
  });

  it('reports the gauges and the default process metrics', () => {
    for (const state of ['idle', 'active', 'waiting']) {
      expect(after.series('gateway_db_pool_connections', { state })).toHaveLength(1);
    }
    const open =
      after.value('gateway_db_pool_connections', { state: 'idle' }) +
      after.value('gateway_db_pool_connections', { state: 'active' });
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(gw.env.DB_POOL_MAX);
    expect(after.value('gateway_db_pool_connections', { state: 'waiting' })).toBe(0);
    expect(after.value('gateway_password_hash_queue')).toBe(0);
    expect(after.value('gateway_redis_fallback_active')).toBe(0);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect({ name, present: after.has(name) }).toEqual({ name, present: true });
    }
    for (const name of COUNTERS) expect({ name, present: after.has(name) }).toEqual({ name, present: true });
  });

  it('serves only GET /metrics on the metrics listener', async () => {
    const base = metricsUrl(gw).replace(/\/metrics$/, '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/v1/auth/me`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const get = await fetch(`${base}/metrics?x=1`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('metrics listener configuration', () => {
  it('is off when METRICS_PORT is unset: no listener, and /metrics is 404 on the public port', async () => {
    const gw = await startApp();
    try {
      expect(gw.app.get(MetricsListener).url).toBeUndefined();
      expect((await http(gw.url, 'GET', '/metrics')).status).toBe(404);
    } finally {
      await gw.close();
    }
  });

  it('listens on METRICS_HOST, apart from the public port, and stops with the app', async () => {
    const gw = await startApp({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' });
    const url = metricsUrl(gw);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(url).port).not.toBe(new URL(gw.url).port);
    expect((await http(gw.url, 'GET', '/metrics')).status).toBe(404);
    await gw.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  it('counts a 429 from the global limit as limit="global"', async () => {
    const gw = await startApp({ METRICS_PORT: '0', RATE_LIMIT_GLOBAL_LIMIT: '2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await http(gw.url, 'GET', '/v1/auth/me')).status);
      expect(statuses).toEqual([401, 401, 429, 429, 429]);
      const metrics = await scrape(metricsUrl(gw));
      expect(metrics.value('gateway_rate_limited_total', { limit: 'global' })).toBe(3);
      expect(metrics.value('gateway_rate_limited_total', { limit: 'auth' })).toBe(0);
      expect(metrics.value('gateway_http_requests_total', { route: '/v1/auth/me', status: '429' })).toBe(3);
    } finally {
      await gw.close();
    }
  });

  it('shows the password-hash queue while logins wait for a hashing slot, and 0 after', async () => {
    const gw = await startApp({ METRICS_PORT: '0', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '16' });
    try {
      const user = await createUser(gw);
      let done = false;
      const logins = Promise.all(
        Array.from({ length: 8 }, () =>
          http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: randomPassword() } }),
        ),
      ).finally(() => (done = true));
      let highest = 0;
      while (!done) {
        highest = Math.max(highest, (await scrape(metricsUrl(gw))).value('gateway_password_hash_queue'));
      }
      expect((await logins).map((r) => r.status).every((s) => s === 401 || s === 423)).toBe(true);
      expect(highest).toBeGreaterThanOrEqual(1);
      expect((await scrape(metricsUrl(gw))).value('gateway_password_hash_queue')).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('counts provider timeouts and bulkhead refusals as their own outcomes', async () => {
    const provider = await ProviderStandIn.start();
    const gw = await startApp({
      METRICS_PORT: '0',
      PAYMENT_PROVIDER_URL: provider.url,
      // The second payment must reach the bulkhead while the first still holds the slot, i.e. before
      // this timeout ends the first: generous, so a slow request on a loaded machine cannot miss it.
      PAYMENT_PROVIDER_TIMEOUT_MS: '6000',
      PAYMENT_PROVIDER_RETRIES: '0',
      PAYMENT_PROVIDER_MAX_CONCURRENCY: '1',
      PAYMENT_PROVIDER_MAX_QUEUE: '0',
    });
    try {
      const user = await createUser(gw);
      const token = String(
        (await http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password } })).body
          .accessToken,
      );
      provider.behave({ kind: 'hang' });
      const pay = (): Promise<HttpResult> =>
        http(gw.url, 'POST', '/v1/payments', {
          token,
          headers: { 'idempotency-key': `metrics-${randomBytes(8).toString('hex')}` },
          body: { amount: 100, currency: 'EUR', recipientId: randomUUID() },
        });
      const first = pay();
      // The second payment arrives while the first holds the only provider slot.
      while (provider.requestCount === 0) await sleep(10);
      const second = await pay();
      expect(second.status).toBe(503);
      expect((await first).status).toBe(504);
      const metrics = await scrape(metricsUrl(gw));
      expect(metrics.value('gateway_provider_calls_total', { outcome: 'timeout' })).toBe(1);
      expect(metrics.value('gateway_provider_calls_total', { outcome: 'bulkhead_full' })).toBe(1);
      expect(metrics.value('gateway_provider_calls_total')).toBe(2);
      // The timed-out payment stays `unknown` (the provider may have charged it); the one the
      // bulkhead refused never reached the provider, so it is abandoned rather than kept unknown.
      expect(metrics.value('gateway_payments_total', { status: 'unknown' })).toBe(1);
    } finally {
      await gw.close();
      await provider.close();
    }
  });

  it('shows the Redis fallback while Redis is away, and 0 once it is back', async () => {
    const redis = await PrivateRedis.start();
    const gw = await startApp({ METRICS_PORT: '0', REDIS_URL: redis.url() });
    try {
      const fallback = async (): Promise<number> =>
        (await scrape(metricsUrl(gw))).value('gateway_redis_fallback_active');
      expect(await fallback()).toBe(0);
      await redis.stop();
      await http(gw.url, 'GET', '/v1/auth/me');
      expect(await fallback()).toBe(1);
      // Lockout lives in Redis too: a login now is refused (503), counted as `unavailable`.
      const refused = await http(gw.url, 'POST', '/v1/auth/login', {
        body: { email: randomEmail(), password: randomPassword() },
      });
      expect(refused.status).toBe(503);
      const during = await scrape(metricsUrl(gw));
      expect(during.value('gateway_login_attempts_total', { outcome: 'unavailable' })).toBe(1);
      expect(during.value('gateway_login_attempts_total')).toBe(1);
      await redis.start();
      let value = 1;
      await waitFor('the limiter to leave its memory fallback', async () => {
        await http(gw.url, 'GET', '/v1/auth/me');
        value = await fallback();
        return value === 0;
      }).catch(() => undefined);
      expect(value).toBe(0);
    } finally {
      await gw.close();
      await redis.destroy();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { configuredSecretValues } from '../../src/secrets/secret-inventory';
import { http, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { PrivateRedis } from '../helpers/processes';
import { ProbeModule } from '../foundation/probe.module';

/**
 * Drives the API the way clients and attackers do while capturing every log line the app writes
 * (at LOG_LEVEL=trace, the most it ever logs), then searches the raw log text for every secret in
 * play: configured secrets (with real passwords in DATABASE_URL and REDIS_URL), passwords and tokens
 * sent in bodies, headers and query strings, and tokens the API issued.
 */
describe('logs never contain a secret, password or token', () => {
  let gw: TestApp;
  let redis: PrivateRedis;
  const inPlay = new Set<string>();

  /** Registers a value that must never be logged, and returns it. */
  const secretValue = (value: string = randomSecret(24)): string => {
    inPlay.add(value);
    return value;
  };

  function expectNoLeak(): void {
    const raw = gw.rawLogs();
    expect(raw.length).toBeGreaterThan(0);
    const leaked = [...inPlay, ...configuredSecretValues(gw.env as unknown as Record<string, unknown>)].filter(
      (value) =>
        raw.includes(value) ||
        raw.includes(encodeURIComponent(value)) ||
        raw.includes(JSON.stringify(value).slice(1, -1)),
    );
    // Print only where the leak is, never the whole value (this output may end up in CI logs).
    expect(leaked.map((v) => `${v.slice(0, 4)}… (${v.length} chars)`)).toEqual([]);
  }

  beforeAll(async () => {
    redis = await PrivateRedis.start({ password: randomSecret(24) });
    // Local PostgreSQL trusts 127.0.0.1, so a password in the URL is accepted and still a secret to mask.
    const dbUrl = new URL(process.env.TEST_DATABASE_URL ?? '');
    dbUrl.password = randomSecret(16);
    gw = await startApp(
      {
        LOG_LEVEL: 'trace',
        DATABASE_URL: dbUrl.toString(),
        REDIS_URL: redis.url(),
        JWT_ACCESS_PREVIOUS_SECRETS: randomSecret(),
        REFRESH_TOKEN_PEPPER_PREVIOUS: randomSecret(),
        BODY_LIMIT_BYTES: '2048',
      },
      { imports: [ProbeModule] },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.destroy();
  });

  it('runs with real credentials in every connection URL, and logs requests at all', async () => {
    expect(new URL(gw.env.REDIS_URL).password).not.toBe('');
    expect(new URL(gw.env.DATABASE_URL).password).not.toBe('');
    expect((await http(gw.url, 'GET', '/health/ready')).status).toBe(200);
    const res = await http(gw.url, 'GET', '/v1/some-missing-route', { headers: { 'x-request-id': 'leak-probe-0001' } });
    expect(res.status).toBe(404);
    expect(gw.rawLogs()).toContain('leak-probe-0001');
    expectNoLeak();
  });

  it('does not log credentials sent in headers to unknown routes', async () => {
    const res = await http(gw.url, 'POST', '/v1/unknown/thing', {
      headers: {
        authorization: `Bearer ${secretValue()}`,
        cookie: `session=${secretValue()}; refresh=${secretValue()}`,
        'x-api-key': secretValue(),
        'proxy-authorization': `Basic ${secretValue()}`,
      },
      body: { password: secretValue(), refreshToken: secretValue() },
    });
    expect(res.status).toBe(404);
    const forged = `eyJhbGciOiJIUzI1NiJ9.${randomBytes(24).toString('base64url')}.${secretValue(randomSecret(32))}`;
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: secretValue(forged) })).status).toBeGreaterThanOrEqual(
      400,
    );
    expectNoLeak();
  });

  it('does not log tokens sent in query strings', async () => {
    const token = secretValue();
    const res = await http(gw.url, 'GET', `/v1/payments?access_token=${token}&password=${secretValue()}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expectNoLeak();
  });

  it('does not log a body carrying a password that fails JSON parsing', async () => {
    const password = secretValue();
    const res = await http(gw.url, 'POST', '/v1/probe', {
      rawBody: `{"email":"someone@example.test","password":"${password}","refreshToken":"${secretValue()}",`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(password);
    expectNoLeak();
  });

  it('does not log passwords or tokens in bodies the validator rejects, the wrong media type, or an oversized body', async () => {
    const rejected = await http(gw.url, 'POST', '/v1/probe', {
      body: { amount: 'x', address: { line1: secretValue() }, password: secretValue(), token: secretValue() },
    });
    expect(rejected.status).toBe(400);
    expect(rejected.text).not.toContain([...inPlay].at(-1));
    const form = await http(gw.url, 'POST', '/v1/probe', {
      rawBody: `password=${secretValue()}&apiKey=${secretValue()}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    const big = await http(gw.url, 'POST', '/v1/probe', {
      body: { password: secretValue(), pad: 'x'.repeat(4096) },
    });
    expect(big.status).toBe(413);
    const poisoned = await http(gw.url, 'POST', '/v1/probe', {
      rawBody: `{"__proto__":{"admin":true},"password":"${secretValue()}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(poisoned.status).toBe(400);
    expectNoLeak();
  });

  it('logs an unexpected error server-side without the request body or credentials', async () => {
    const res = await http(gw.url, 'POST', '/v1/probe/boom', {
      token: secretValue(),
      body: { password: secretValue(), refreshToken: secretValue() },
    });
    expect(res.status).toBe(500);
    expect(gw.rawLogs()).toContain('internal detail');
    expectNoLeak();
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configuredSecretValues } from '../../src/platform/secrets/secret-inventory';
import { UsersService } from '../../src/features/users/users.service';
import { http, HttpResult, startApp, TestApp } from '../helpers/app';
import { randomSecret } from '../helpers/env';
import { PrivateRedis } from '../helpers/processes';
import { ProbeModule } from '../foundation/probe.module';
import { createdUser } from '../auth/fixtures';

/**
 * Drives the API the way clients and attackers do while capturing every log line the app writes
 * (at LOG_LEVEL=trace, the most it ever logs), then searches the raw log text for every secret in
 * play: configured secrets (with real passwords in DATABASE_URL and REDIS_URL), passwords and tokens
 * sent in bodies, headers and query strings, and tokens the API issued.
 */
/**
 * Asserts that no value in play (passwords, tokens) and no configured secret appears in the app's
 * logs, raw, percent-encoded or JSON-escaped. Failures print only a value's first characters and
 * length, never the value (this output may end up in CI logs).
 */
function expectNoValueLogged(gw: TestApp, inPlay: Set<string>): void {
  const raw = gw.rawLogs();
  const leaked = [...inPlay, ...configuredSecretValues(gw.env as unknown as Record<string, unknown>)].filter(
    (value) =>
      raw.includes(value) ||
      raw.includes(encodeURIComponent(value)) ||
      raw.includes(JSON.stringify(value).slice(1, -1)),
  );
  expect(leaked.map((v) => `${v.slice(0, 4)}… (${v.length} chars)`)).toEqual([]);
}

describe('logs never contain a secret, password or token [gate:1.5.6] [gate:1.5.8] [gate:1.6.4]', () => {
  let gw: TestApp;
  let redis: PrivateRedis;
  const inPlay = new Set<string>();

  /** Registers a value that must never be logged, and returns it. */
  const secretValue = (value: string = randomSecret(24)): string => {
    inPlay.add(value);
    return value;
  };

  const expectNoLeak = (): void => {
    expect(gw.rawLogs().length).toBeGreaterThan(0);
    expectNoValueLogged(gw, inPlay);
  };

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

/**
 * The whole API flow (logins, failures, lockout, refreshes, reuse, logout, payments, admin) on one
 * instance at LOG_LEVEL=trace, with every password and token the flow touches registered as a value
 * that must never reach a log line.
 */
describe('logs never contain a secret, password or token across the whole API flow [gate:1.5.8]', () => {
  let gw: TestApp;
  let provider: Server;
  let charges = 0;
  let failCharges = false;
  const inPlay = new Set<string>();
  const secretValue = (value: string = randomSecret(24)): string => {
    inPlay.add(value);
    return value;
  };
  const admin = { email: `leak-admin-${randomUUID()}@example.test`, password: secretValue() };
  const user = { email: `leak-user-${randomUUID()}@example.test`, password: secretValue() };
  let adminToken = '';
  let userId = '';

  const expectNoLeak = (): void => expectNoValueLogged(gw, inPlay);

  async function login(credentials: { email: string; password: string }): Promise<HttpResult> {
    const res = await http(gw.url, 'POST', '/v1/auth/login', { body: credentials });
    if (res.status === 200) {
      secretValue(String(res.body.accessToken));
      secretValue(String(res.body.refreshToken));
    }
    return res;
  }

  beforeAll(async () => {
    // A minimal provider: every charge succeeds (the resilience suites cover its failures).
    provider = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        charges += 1;
        if (failCharges) {
          // An upstream error page that quotes the credential it was given, as some providers do.
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`upstream failure for ${String(req.headers.authorization)}`);
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `ch_${randomUUID()}`, status: 'succeeded' }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    gw = await startApp({
      LOG_LEVEL: 'trace',
      PAYMENT_PROVIDER_URL: `http://127.0.0.1:${(provider.address() as AddressInfo).port}`,
      LOCKOUT_THRESHOLD: '3',
      JWT_ACCESS_PREVIOUS_SECRETS: randomSecret(),
      REFRESH_TOKEN_PEPPER_PREVIOUS: randomSecret(),
    });
    createdUser(await gw.app.get(UsersService).create({ ...admin, role: 'admin' }));
    const res = await login(admin);
    expect(res.status).toBe(200);
    adminToken = String(res.body.accessToken);
  });
  afterAll(async () => {
    await gw?.close();
    provider?.closeAllConnections();
    await new Promise((resolve) => provider?.close(resolve));
  });

  it('admin creates a user, lists, patches, unlocks and revokes sessions without logging the password', async () => {
    const created = await http(gw.url, 'POST', '/v1/admin/users', {
      token: adminToken,
      body: { ...user, role: 'user' },
    });
    expect(created.status).toBe(201);
    userId = String(created.body.id);
    expect((await http(gw.url, 'GET', '/v1/admin/users?page=1&pageSize=5', { token: adminToken })).status).toBe(200);
    const duplicate = await http(gw.url, 'POST', '/v1/admin/users', {
      token: adminToken,
      body: { email: user.email.toUpperCase(), password: secretValue(), role: 'user' },
    });
    expect(duplicate.status).toBe(409);
    const weak = await http(gw.url, 'POST', '/v1/admin/users', {
      token: adminToken,
      body: { email: `x-${randomUUID()}@example.test`, password: secretValue('short-pw-1'), role: 'user' },
    });
    expect(weak.status).toBe(400);
    expect(
      (await http(gw.url, 'PATCH', `/v1/admin/users/${userId}`, { token: adminToken, body: { role: 'user' } })).status,
    ).toBe(200);
    expect((await http(gw.url, 'POST', `/v1/admin/users/${userId}/unlock`, { token: adminToken })).status).toBe(204);
    expect(
      (await http(gw.url, 'POST', `/v1/admin/users/${userId}/revoke-sessions`, { token: adminToken })).status,
    ).toBe(204);
    expectNoLeak();
  });

  it('logins: success, wrong password, unknown account and lockout never log passwords or tokens', async () => {
    expect((await login(user)).status).toBe(200);
    expect((await login({ email: user.email, password: secretValue() })).status).toBe(401);
    expect((await login({ email: `nobody-${randomUUID()}@example.test`, password: secretValue() })).status).toBe(401);
    const victim = { email: `victim-${randomUUID()}@example.test`, password: secretValue() };
    createdUser(await gw.app.get(UsersService).create({ ...victim, role: 'user' }));
    for (let i = 0; i < 3; i++) await login({ email: victim.email, password: secretValue() });
    const locked = await login(victim);
    expect(locked.status).toBe(423);
    expectNoLeak();
  });

  it('refresh rotation, reuse detection and logout never log refresh or access tokens', async () => {
    const first = await login(user);
    const first_refresh = String(first.body.refreshToken);
    const rotated = await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: first_refresh } });
    expect(rotated.status).toBe(200);
    secretValue(String(rotated.body.accessToken));
    secretValue(String(rotated.body.refreshToken));
    const reuse = await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: first_refresh } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('TOKEN_REUSED');
    const unknown = await http(gw.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: secretValue(randomSecret(32)) },
    });
    expect(unknown.status).toBe(401);
    const again = await login(user);
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: String(again.body.accessToken) })).status).toBe(200);
    const out = await http(gw.url, 'POST', '/v1/auth/logout', {
      body: { refreshToken: String(again.body.refreshToken) },
    });
    expect(out.status).toBe(204);
    expectNoLeak();
  });

  it('payments, forged tokens and forbidden routes never log tokens or the provider key', async () => {
    const session = await login(user);
    const token = String(session.body.accessToken);
    const body = { amount: 1250, currency: 'EUR', recipientId: randomUUID(), reference: 'leak test' };
    const key = `leak-${randomBytes(6).toString('hex')}`;
    const paid = await http(gw.url, 'POST', '/v1/payments', { token, body, headers: { 'idempotency-key': key } });
    expect(paid.status).toBe(201);
    expect((await http(gw.url, 'GET', `/v1/payments/${String(paid.body.id)}`, { token })).status).toBe(200);
    expect(charges).toBe(1);
    const replay = await http(gw.url, 'POST', '/v1/payments', { token, body, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    const conflict = await http(gw.url, 'POST', '/v1/payments', {
      token,
      body: { ...body, amount: 99 },
      headers: { 'idempotency-key': key },
    });
    expect(conflict.status).toBe(409);
    const invalid = await http(gw.url, 'POST', '/v1/payments', {
      token,
      body: { ...body, currency: 'eur', apiKey: secretValue() },
      headers: { 'idempotency-key': `leak-${randomBytes(6).toString('hex')}` },
    });
    expect(invalid.status).toBe(400);
    failCharges = true;
    const upstream = await http(gw.url, 'POST', '/v1/payments', {
      token,
      body: { ...body, amount: 77 },
      headers: { 'idempotency-key': `leak-${randomBytes(6).toString('hex')}` },
    });
    failCharges = false;
    expect(upstream.status).toBe(502);
    expect(upstream.text).not.toContain(gw.env.PAYMENT_PROVIDER_API_KEY);
    expect((await http(gw.url, 'GET', '/v1/admin/users', { token })).status).toBe(403);
    const forged = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: userId, role: 'admin' }),
    ).toString('base64url')}.${randomSecret(32)}`;
    expect((await http(gw.url, 'GET', '/v1/admin/users', { token: secretValue(forged) })).status).toBe(401);
    expect(
      (await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: secretValue(token) } })).status,
    ).toBeGreaterThanOrEqual(400);
    expectNoLeak();
  });
});

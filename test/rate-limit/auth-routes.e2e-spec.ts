import { randomUUID } from 'node:crypto';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { createUser, login } from '../auth/fixtures';

describe('the real auth routes carry the stricter auth limit', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ RATE_LIMIT_AUTH_LIMIT: '3', RATE_LIMIT_GLOBAL_LIMIT: '50' });
  });
  afterAll(() => gw.close());

  it('refuses the 4th login from one client with 429 even for different accounts, before any password work [gate:1.1.8]', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await http(gw.url, 'POST', '/v1/auth/login', {
        body: { email: `${randomUUID()}@example.test`, password: 'wrong-password-123' },
      });
      expect(res.status).toBe(401);
    }
    const refused = await http(gw.url, 'POST', '/v1/auth/login', {
      body: { email: `${randomUUID()}@example.test`, password: 'wrong-password-123' },
    });
    expectProblem(refused, 429, 'RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // refresh shares the auth budget
    expectProblem(
      await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } }),
      429,
      'RATE_LIMITED',
    );
    // health stays reachable
    expect((await http(gw.url, 'GET', '/health/live')).status).toBe(200);
  });

  it('logout spends the auth budget too', async () => {
    const fresh = await startApp({ RATE_LIMIT_AUTH_LIMIT: '2', RATE_LIMIT_GLOBAL_LIMIT: '50' });
    try {
      const token = { refreshToken: 'x'.repeat(43) };
      expect((await http(fresh.url, 'POST', '/v1/auth/logout', { body: token })).status).toBe(204);
      expect((await http(fresh.url, 'POST', '/v1/auth/logout', { body: token })).status).toBe(204);
      expectProblem(await http(fresh.url, 'POST', '/v1/auth/logout', { body: token }), 429, 'RATE_LIMITED');
    } finally {
      await fresh.close();
    }
  });
});

describe('GET /v1/auth/me is an ordinary read under the global limit only', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ RATE_LIMIT_AUTH_LIMIT: '2', RATE_LIMIT_GLOBAL_LIMIT: '50' });
  });
  afterAll(() => gw.close());

  it('polling /me never spends the auth budget, so the client can still log in', async () => {
    const user = await createUser(gw);
    const { accessToken } = await login(gw, user); // auth hit 1 of 2
    for (let i = 0; i < 6; i++) {
      const me = await http(gw.url, 'GET', '/v1/auth/me', { token: accessToken });
      expect(me.status).toBe(200);
      expect(me.headers.get('ratelimit-policy')).not.toMatch(/"auth"/);
      expect(me.headers.get('ratelimit-policy')).toMatch(/"global"/);
    }
    // The second login still fits the auth budget of 2; the third is refused.
    expect((await login(gw, user)).tokenType).toBe('Bearer');
    expectProblem(
      await http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password } }),
      429,
      'RATE_LIMITED',
    );
    // /me keeps answering while the auth budget is spent.
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: accessToken })).status).toBe(200);
  });
});

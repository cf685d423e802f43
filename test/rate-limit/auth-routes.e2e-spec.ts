import { randomUUID } from 'node:crypto';
import { expectProblem, http, startApp, TestApp } from '../helpers/app';

describe('the real auth routes carry the stricter auth limit', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ RATE_LIMIT_AUTH_LIMIT: '3', RATE_LIMIT_GLOBAL_LIMIT: '50' });
  });
  afterAll(() => gw.close());

  it('refuses the 4th login from one client with 429 even for different accounts, before any password work', async () => {
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
});

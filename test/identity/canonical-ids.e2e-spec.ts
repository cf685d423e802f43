import { performance } from 'node:perf_hooks';
import { createUser, login, TestUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { deployment, describeEnforcement, ENFORCEMENT_BOUND_MS, pollEnforced } from './enforcement';

/**
 * Admin actions addressed with an upper-case id take effect exactly like the lower-case id: on
 * the instance that made the change and on the other one, within ENFORCEMENT_BOUND_MS of the
 * admin's answer. IDENTITY_CACHE_TTL_MS is a minute, so only the invalidation (local and pub/sub)
 * can make either instance notice: an id spelled differently from the cache key would leave the
 * old identity in force for that minute.
 */
const SPELLINGS = [
  ['an upper-case id', (id: string) => id.toUpperCase()],
  ['a lower-case id', (id: string) => id],
] as const;

describe('identity changes addressed with any spelling of an id, on two instances (shared PostgreSQL and Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let adminToken: string;
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    const shared = deployment('canon', { IDENTITY_CACHE_TTL_MS: '60000', LOCKOUT_THRESHOLD: '3' });
    [a, b] = await Promise.all([startApp(shared), startApp(shared)]);
    adminToken = (await login(a, await createUser(a, 'admin'))).accessToken;
    // Warm the admin route and the publish path: the bound is about propagation, not first calls.
    const spare = await createUser(a);
    await http(a.url, 'PATCH', `/v1/admin/users/${spare.id.toUpperCase()}`, {
      token: adminToken,
      body: { role: 'user' },
    });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    console.info(`first enforcing request after the admin's answer (ms): ${JSON.stringify(figures)}`);
  });

  const me = (gw: TestApp, token: string): Promise<HttpResult> => http(gw.url, 'GET', '/v1/auth/me', { token });
  const payments = (gw: TestApp, token: string): Promise<HttpResult> => http(gw.url, 'GET', '/v1/payments', { token });
  const adminRoute = (gw: TestApp, token: string): Promise<HttpResult> =>
    http(gw.url, 'GET', '/v1/admin/audit?limit=1', { token });

  /** Sends the admin call on A; resolves with its answer and the moment it arrived. */
  async function onA(method: string, path: string, body?: unknown): Promise<[HttpResult, number]> {
    const res = await http(a.url, method, `/v1/admin/users/${path}`, { token: adminToken, body });
    return [res, performance.now()];
  }

  /** Polls every check from `since` and asserts each was enforced within the bound. */
  async function expectEnforced(
    label: string,
    since: number,
    checks: [where: string, request: () => Promise<HttpResult>, enforced: (res: HttpResult) => boolean][],
  ): Promise<HttpResult[]> {
    const results = await Promise.all(checks.map(([, request, enforced]) => pollEnforced(request, enforced, since)));
    const late = results.flatMap((r, i) => (r.enforced ? [] : [describeEnforcement(checks[i]![0], r)]));
    expect({ label, late }).toEqual({ label, late: [] });
    figures[label] = Math.max(...results.map((r) => r.startedAfterMs));
    return results.map((r) => r.last);
  }

  describe.each(SPELLINGS)('with %s', (spelling, spell) => {
    it(`a disable ends /me and payments on both instances within ${ENFORCEMENT_BOUND_MS} ms`, async () => {
      const user = await createUser(a);
      const { accessToken } = await login(a, user);
      for (const gw of [a, b]) {
        expect((await me(gw, accessToken)).status).toBe(200); // both instances now hold the identity
        expect((await payments(gw, accessToken)).status).toBe(200);
      }
      const [res, since] = await onA('PATCH', spell(user.id), { disabled: true });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, disabled: true });
      const refused = (r: HttpResult): boolean => r.status === 401;
      const answers = await expectEnforced(`disable, ${spelling}`, since, [
        ['/me on B', () => me(b, accessToken), refused],
        ['/me on A', () => me(a, accessToken), refused],
        ['payments on B', () => payments(b, accessToken), refused],
        ['payments on A', () => payments(a, accessToken), refused],
      ]);
      for (const answer of answers) expectProblem(answer, 401, 'TOKEN_INVALID');
    });

    it(`a demotion ends admin routes on both instances within ${ENFORCEMENT_BOUND_MS} ms`, async () => {
      const other: TestUser = await createUser(a, 'admin');
      const { accessToken } = await login(a, other);
      for (const gw of [a, b]) expect((await adminRoute(gw, accessToken)).status).toBe(200);
      const [res, since] = await onA('PATCH', spell(other.id), { role: 'user' });
      expect(res.status).toBe(200);
      const forbidden = (r: HttpResult): boolean => r.status === 403;
      const answers = await expectEnforced(`demotion, ${spelling}`, since, [
        ['admin route on B', () => adminRoute(b, accessToken), forbidden],
        ['admin route on A', () => adminRoute(a, accessToken), forbidden],
        ['creating an admin on B', () => createAdminWith(b, accessToken), forbidden],
      ]);
      for (const answer of answers) expectProblem(answer, 403, 'FORBIDDEN');
      expect((await me(b, accessToken)).body).toMatchObject({ id: other.id, role: 'user' });
    });

    it(`revoke-sessions ends every access token on both instances within ${ENFORCEMENT_BOUND_MS} ms`, async () => {
      const user = await createUser(a);
      const first = await login(a, user);
      const second = await login(b, user);
      for (const gw of [a, b]) {
        expect((await me(gw, first.accessToken)).status).toBe(200);
        expect((await me(gw, second.accessToken)).status).toBe(200);
      }
      const [res, since] = await onA('POST', `${spell(user.id)}/revoke-sessions`);
      expect(res.status).toBe(204);
      const refused = (r: HttpResult): boolean => r.status === 401;
      const answers = await expectEnforced(`revoke-sessions, ${spelling}`, since, [
        ['first token on B', () => me(b, first.accessToken), refused],
        ['second token on B', () => me(b, second.accessToken), refused],
        ['first token on A', () => me(a, first.accessToken), refused],
        ['second token on A', () => me(a, second.accessToken), refused],
      ]);
      for (const answer of answers) expectProblem(answer, 401, 'TOKEN_INVALID');
      expectProblem(
        await http(b.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: second.refreshToken } }),
        401,
        'TOKEN_INVALID',
      );
    });

    it(`an unlock lets the right password in on both instances within ${ENFORCEMENT_BOUND_MS} ms`, async () => {
      const user = await createUser(a);
      const attempt = (gw: TestApp, password: string): Promise<HttpResult> =>
        http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password } });
      for (let i = 0; i < 3; i += 1) expectProblem(await attempt(b, 'wrong-password!'), 401, 'INVALID_CREDENTIALS');
      for (const gw of [a, b]) expectProblem(await attempt(gw, user.password), 423, 'ACCOUNT_LOCKED');
      const [res, since] = await onA('POST', `${spell(user.id)}/unlock`);
      expect(res.status).toBe(204);
      const admitted = (r: HttpResult): boolean => r.status === 200;
      await expectEnforced(`unlock, ${spelling}`, since, [
        ['login on B', () => attempt(b, user.password), admitted],
        ['login on A', () => attempt(a, user.password), admitted],
      ]);
    });
  });

  it('records every action under the canonical id, and finds it by either spelling', async () => {
    const user = await createUser(a);
    expect((await onA('POST', `${user.id.toUpperCase()}/revoke-sessions`))[0].status).toBe(204);
    for (const target of [user.id, user.id.toUpperCase()]) {
      const page = await http(a.url, 'GET', `/v1/admin/audit?target=${target}`, { token: adminToken });
      expect(page.status).toBe(200);
      expect(page.body.items).toEqual([expect.objectContaining({ targetId: user.id, action: 'user.revoke_sessions' })]);
    }
  });

  /** POST /v1/admin/users as `token` (an admin-only action with an effect, not merely a read). */
  function createAdminWith(gw: TestApp, token: string): Promise<HttpResult> {
    return http(gw.url, 'POST', '/v1/admin/users', {
      token,
      body: { email: `${Math.random().toString(36).slice(2)}@example.test`, password: 'x', role: 'admin' },
    });
  }
});

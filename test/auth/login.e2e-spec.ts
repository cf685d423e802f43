import { expectProblem, http, startApp, TestApp } from '../helpers/app';
import { createdUser, createUser, login, randomEmail, randomPassword, stableProblem, TestUser } from './fixtures';
import { UsersService } from '../../src/features/users/users.service';
import { PrismaService } from '../../src/platform/database/prisma.service';

describe('login and /auth/me', () => {
  let gw: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    gw = await startApp();
    alice = await createUser(gw);
  });
  afterAll(() => gw.close());

  it('logs in with the right password and returns the token pair shape [gate:1.2.5]', async () => {
    const res = await http(gw.url, 'POST', '/v1/auth/login', {
      body: { email: alice.email, password: alice.password },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: gw.env.JWT_ACCESS_TTL_SECONDS,
      refreshExpiresIn: gw.env.REFRESH_TOKEN_TTL_SECONDS,
    });
  });

  it('compares emails case-insensitively and ignores surrounding spaces', async () => {
    for (const email of [alice.email.toUpperCase(), `  ${alice.email}\t`]) {
      const res = await http(gw.url, 'POST', '/v1/auth/login', { body: { email, password: alice.password } });
      expect(res.status).toBe(200);
    }
  });

  it('answers a wrong password with 401 INVALID_CREDENTIALS', async () => {
    const res = await http(gw.url, 'POST', '/v1/auth/login', {
      body: { email: alice.email, password: 'wrong-password-1' },
    });
    expectProblem(res, 401, 'INVALID_CREDENTIALS');
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const known = await http(gw.url, 'POST', '/v1/auth/login', {
      body: { email: alice.email, password: 'nope-nope-nope' },
    });
    const unknown = await http(gw.url, 'POST', '/v1/auth/login', {
      body: { email: randomEmail(), password: 'nope-nope-nope' },
    });
    expect(unknown.status).toBe(known.status);
    expect(stableProblem(unknown.body)).toEqual(stableProblem(known.body));
  });

  it('answers a disabled user with the right password like a wrong password', async () => {
    const bob = await createUser(gw);
    await gw.app.get(PrismaService).user.update({ where: { id: bob.id }, data: { disabled: true } });
    const res = await http(gw.url, 'POST', '/v1/auth/login', { body: { email: bob.email, password: bob.password } });
    expectProblem(res, 401, 'INVALID_CREDENTIALS');
  });

  it.each([
    [{}, ['email', 'password']],
    [{ email: 'not-an-email', password: 'x' }, ['email']],
    [{ email: `${'a'.repeat(250)}@example.test`, password: 'x' }, ['email']],
    [{ email: 'a@example.test', password: '' }, ['password']],
    [{ email: 'a@example.test', password: 'x'.repeat(129) }, ['password']],
    [{ email: 'a@example.test', password: 12345678901234 }, ['password']],
    [{ email: 'a@example.test', password: 'x', admin: true }, ['admin']],
  ])('rejects the invalid body %j naming %j', async (body, fields) => {
    const res = await http(gw.url, 'POST', '/v1/auth/login', { body });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    const named = (res.body.errors as { field: string }[]).map((e) => e.field);
    for (const field of fields) expect(named).toContain(field);
  });

  it('returns the caller on /auth/me with a valid access token', async () => {
    const pair = await login(gw, alice);
    const res = await http(gw.url, 'GET', '/v1/auth/me', { token: pair.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: alice.id, email: alice.email, role: 'user' });
  });

  it('accepts the bearer scheme in any letter case', async () => {
    const pair = await login(gw, alice);
    const res = await http(gw.url, 'GET', '/v1/auth/me', { headers: { authorization: `bearer ${pair.accessToken}` } });
    expect(res.status).toBe(200);
  });

  it('answers /auth/me without a token with 401 UNAUTHORIZED', async () => {
    expectProblem(await http(gw.url, 'GET', '/v1/auth/me'), 401, 'UNAUTHORIZED');
  });

  it.each([
    ['garbage', 'Bearer garbage'],
    ['a non-bearer scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['a truncated JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.'],
  ])('answers /auth/me with %s with 401 TOKEN_INVALID', async (_name, authorization) => {
    const res = await http(gw.url, 'GET', '/v1/auth/me', { headers: { authorization } });
    expectProblem(res, 401, 'TOKEN_INVALID');
  });

  it("rejects a disabled user's access token on the next request", async () => {
    const carol = await createUser(gw);
    const pair = await login(gw, carol);
    expect((await http(gw.url, 'GET', '/v1/auth/me', { token: pair.accessToken })).status).toBe(200);
    // Through the admin route (it invalidates the cached identity on every instance).
    const admin = await login(gw, await createUser(gw, 'admin'));
    const disabled = await http(gw.url, 'PATCH', `/v1/admin/users/${carol.id}`, {
      token: admin.accessToken,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(200);
    expectProblem(await http(gw.url, 'GET', '/v1/auth/me', { token: pair.accessToken }), 401, 'TOKEN_INVALID');
  });

  it('stores emails normalized and never returns the password hash', async () => {
    const users = gw.app.get(UsersService);
    const created = createdUser(
      await users.create({
        email: `  Mixed.${randomEmail().toUpperCase()} `,
        password: randomPassword(),
        role: 'user',
      }),
    );
    expect(created.email).toBe(created.email.trim().toLowerCase());
    expect(JSON.stringify(created)).not.toMatch(/argon2|passwordHash/);
  });

  it('never logs the password or the tokens', async () => {
    const pair = await login(gw, alice);
    const logs = gw.rawLogs();
    expect(logs).not.toContain(alice.password);
    expect(logs).not.toContain(pair.refreshToken);
    expect(logs).not.toContain(pair.accessToken);
  });
});

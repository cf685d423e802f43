import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { createUser, login, randomEmail, randomPassword, TestUser, TokenPair } from '../auth/fixtures';
import { must } from '../helpers/must';

function fieldsOf(res: HttpResult): string[] {
  return ((res.body.errors as { field: string }[] | undefined) ?? []).map((e) => e.field);
}

describe('admin routes', () => {
  let gw: TestApp;
  let admin: TestUser;
  let adminToken: string;
  beforeAll(async () => {
    gw = await startApp({ LOCKOUT_THRESHOLD: '3' });
    admin = await createUser(gw, 'admin');
    adminToken = (await login(gw, admin)).accessToken;
  });
  afterAll(() => gw.close());

  const as = (token: string) => ({
    post: (path: string, body?: unknown) => http(gw.url, 'POST', `/v1/admin/users${path}`, { token, body }),
    get: (path: string) => http(gw.url, 'GET', `/v1/admin/users${path}`, { token }),
    patch: (path: string, body?: unknown) => http(gw.url, 'PATCH', `/v1/admin/users${path}`, { token, body }),
  });
  const adminApi = () => as(adminToken);

  describe('access', () => {
    it.each([
      ['POST', ''],
      ['GET', ''],
      ['PATCH', `/${randomUUID()}`],
      ['POST', `/${randomUUID()}/unlock`],
      ['POST', `/${randomUUID()}/revoke-sessions`],
    ])('answers %s %s with 401 without a token and 403 for a non-admin', async (method, path) => {
      const body = method === 'GET' ? undefined : { role: 'user' };
      expectProblem(await http(gw.url, method, `/v1/admin/users${path}`, { body }), 401, 'UNAUTHORIZED');
      const { accessToken } = await login(gw, await createUser(gw));
      expectProblem(
        await http(gw.url, method, `/v1/admin/users${path}`, { body, token: accessToken }),
        403,
        'FORBIDDEN',
      );
    });

    it('checks the role before validating the body (a non-admin learns nothing about the schema)', async () => {
      const { accessToken } = await login(gw, await createUser(gw));
      expectProblem(await as(accessToken).post('', { bogus: 1 }), 403, 'FORBIDDEN');
    });
  });

  describe('POST /admin/users', () => {
    it('creates a user who can log in, answering 201 without the password hash', async () => {
      const email = randomEmail();
      const password = randomPassword();
      const res = await adminApi().post('', { email, password, role: 'user' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual(expect.objectContaining({ id: expect.any(String), email, role: 'user' }));
      expect(res.text).not.toMatch(/passwordHash|argon2/);
      expect((await login(gw, { email, password })).tokenType).toBe('Bearer');
    });

    it('stores the email normalized and answers 409 CONFLICT for a duplicate in any case', async () => {
      const email = randomEmail();
      const created = await adminApi().post('', {
        email: email.toUpperCase(),
        password: randomPassword(),
        role: 'admin',
      });
      expect(created.status).toBe(201);
      expect(created.body.email).toBe(email);
      expectProblem(await adminApi().post('', { email, password: randomPassword(), role: 'user' }), 409, 'CONFLICT');
    });

    it('takes a composed and a decomposed "é" as one email: one account, one login, one lockout', async () => {
      const local = `ren\u00E9-${randomUUID()}`;
      const composed = `${local}@example.test`;
      const decomposed = composed.normalize('NFD');
      expect(decomposed).not.toBe(composed);
      const password = randomPassword();
      const created = await adminApi().post('', { email: ` ${decomposed.toUpperCase()} `, password, role: 'user' });
      expect(created.status).toBe(201);
      expect(created.body.email).toBe(composed);
      expectProblem(
        await adminApi().post('', { email: composed, password: randomPassword(), role: 'user' }),
        409,
        'CONFLICT',
      );
      expect((await login(gw, { email: decomposed, password })).tokenType).toBe('Bearer');
      expect((await login(gw, { email: composed.toUpperCase(), password })).tokenType).toBe('Bearer');
      // Failures in either spelling count against one account (LOCKOUT_THRESHOLD is 3 here).
      for (const email of [decomposed, composed, decomposed.toUpperCase()]) {
        const res = await http(gw.url, 'POST', '/v1/auth/login', { body: { email, password: 'wrong-password!' } });
        expectProblem(res, 401, 'INVALID_CREDENTIALS');
      }
      expectProblem(
        await http(gw.url, 'POST', '/v1/auth/login', { body: { email: composed, password } }),
        423,
        'ACCOUNT_LOCKED',
      );
      // The unlock, addressed with an upper-case id, clears that one lock.
      expect((await adminApi().post(`/${String(created.body.id).toUpperCase()}/unlock`)).status).toBe(204);
      expect((await login(gw, { email: decomposed, password })).tokenType).toBe('Bearer');
    });

    it('the users table refuses an email that is not in NFC, whoever writes it', async () => {
      const decomposed = `rene\u0301-${randomUUID()}@example.test`;
      await expect(
        gw.app.get(PrismaService).$executeRaw`
          INSERT INTO users (id, email, password_hash, role, updated_at)
          VALUES (${randomUUID()}::uuid, ${decomposed}, 'x', 'user', now())`,
      ).rejects.toThrow(/users_email_normalized/);
    });

    it.each(['password1234', 'qwertyuiop123', '1q2w3e4r5t6y'])(
      'refuses the guessable password %s with 400 naming password, never echoing it, creating nothing',
      async (password) => {
        const email = randomEmail();
        const res = await adminApi().post('', { email, password, role: 'user' });
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(fieldsOf(res)).toEqual(['password']);
        expect(res.text).not.toContain(password);
        const list = await adminApi().get('?pageSize=100');
        expect(JSON.stringify(list.body)).not.toContain(email);
      },
    );

    it('refuses a password built from the email, and takes a passphrase of uncommon words', async () => {
      const email = randomEmail();
      const local = email.split('@')[0];
      const fromEmail = await adminApi().post('', { email, password: `${local}!`, role: 'user' });
      expectProblem(fromEmail, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(fromEmail)).toEqual(['password']);
      const passphrase = await adminApi().post('', { email, password: 'correct horse battery staple', role: 'user' });
      expect(passphrase.status).toBe(201);
    });

    it.each([
      [{ password: 'long-enough-password', role: 'user' }, 'email'],
      [{ email: 'nope', password: 'long-enough-password', role: 'user' }, 'email'],
      [{ email: `${'a'.repeat(250)}@example.test`, password: 'long-enough-password', role: 'user' }, 'email'],
      [{ email: 42, password: 'long-enough-password', role: 'user' }, 'email'],
      [{ email: 'x@example.test', password: 'short', role: 'user' }, 'password'],
      [{ email: 'x@example.test', password: 'p'.repeat(129), role: 'user' }, 'password'],
      [{ email: 'x@example.test', password: ['long-enough-password'], role: 'user' }, 'password'],
      [{ email: 'x@example.test', password: 'long-enough-password', role: 'root' }, 'role'],
      [{ email: 'x@example.test', password: 'long-enough-password' }, 'role'],
      [{ email: 'x@example.test', password: 'long-enough-password', role: 'user', disabled: false }, 'disabled'],
      [{ email: 'x@example.test', password: 'long-enough-password', role: 'user', passwordHash: 'x' }, 'passwordHash'],
    ])('rejects %j with 400 naming %s [gate:1.4.2] [gate:1.4.3] [gate:1.4.7]', async (body, field) => {
      const res = await adminApi().post('', body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toContain(field);
    });
  });

  describe('GET /admin/users', () => {
    it('pages through users with defaults page 1, pageSize 20, never showing password hashes', async () => {
      const res = await adminApi().get('');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: expect.any(Array), page: 1, pageSize: 20, total: expect.any(Number) });
      expect(res.text).not.toMatch(/passwordHash|argon2/);
      const items = res.body.items as Record<string, unknown>[];
      expect(Object.keys(must(items[0], 'a listed user')).sort()).toEqual([
        'createdAt',
        'disabled',
        'email',
        'id',
        'role',
        'updatedAt',
      ]);
    });

    it('honours page and pageSize', async () => {
      await createUser(gw);
      await createUser(gw);
      const first = await adminApi().get('?page=1&pageSize=1');
      const second = await adminApi().get('?page=2&pageSize=1');
      expect(first.body).toEqual(expect.objectContaining({ page: 1, pageSize: 1 }));
      expect((first.body.items as unknown[]).length).toBe(1);
      expect((second.body.items as { id: string }[])[0]?.id).not.toBe((first.body.items as { id: string }[])[0]?.id);
      expect((await adminApi().get('?pageSize=100')).status).toBe(200);
    });

    it.each([
      ['page=abc', 'page'],
      ['page=1.5', 'page'],
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=1e2', 'page'],
      ['page=', 'page'],
      ['page=1&page=2', 'page'],
      ['page=99999999999999999999', 'page'],
      ['pageSize=abc', 'pageSize'],
      ['pageSize=0', 'pageSize'],
      ['pageSize=101', 'pageSize'],
      ['pageSize=-1', 'pageSize'],
      ['pageSize=1.5', 'pageSize'],
      ['pageSize=%20%2010', 'pageSize'],
      ['sort=email', 'sort'],
    ])('rejects ?%s with 400 naming %s', async (query, field) => {
      const res = await adminApi().get(`?${query}`);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toContain(field);
    });
  });

  describe('PATCH /admin/users/:id', () => {
    it('changes the role', async () => {
      const user = await createUser(gw);
      const res = await adminApi().patch(`/${user.id}`, { role: 'admin' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ id: user.id, role: 'admin', disabled: false }));
      expect(res.text).not.toMatch(/passwordHash|argon2/);
    });

    it('disabling ends every refresh family and the access token at the next request', async () => {
      const user = await createUser(gw);
      const pairs: TokenPair[] = [await login(gw, user), await login(gw, user)];
      const res = await adminApi().patch(`/${user.id}`, { disabled: true });
      expect(res.status).toBe(200);
      expect(res.body.disabled).toBe(true);
      const live = await gw.app.get(PrismaService).refreshToken.count({ where: { userId: user.id, revokedAt: null } });
      expect(live).toBe(0);
      for (const pair of pairs) {
        expectProblem(
          await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } }),
          401,
          'TOKEN_INVALID',
        );
        expectProblem(await http(gw.url, 'GET', '/v1/auth/me', { token: pair.accessToken }), 401, 'TOKEN_INVALID');
      }
      expectProblem(
        await http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password } }),
        401,
        'INVALID_CREDENTIALS',
      );
      // Re-enabling lets the user log in again (old sessions stay dead).
      expect((await adminApi().patch(`/${user.id}`, { disabled: false })).status).toBe(200);
      expect((await login(gw, user)).tokenType).toBe('Bearer');
    });

    it('answers 404 for an unknown id', async () => {
      expectProblem(await adminApi().patch(`/${randomUUID()}`, { role: 'user' }), 404, 'NOT_FOUND');
    });

    it.each([
      ['not-a-uuid', { role: 'user' }, 'id'],
      ["1' OR '1'='1", { role: 'user' }, 'id'],
      [randomUUID(), {}, 'body'],
      [randomUUID(), { role: 'root' }, 'role'],
      [randomUUID(), { role: null }, 'role'],
      [randomUUID(), { disabled: 'true' }, 'disabled'],
      [randomUUID(), { disabled: null }, 'disabled'],
      [randomUUID(), { disabled: 1 }, 'disabled'],
      [randomUUID(), { email: 'new@example.test' }, 'email'],
      [randomUUID(), { role: 'user', passwordHash: 'x' }, 'passwordHash'],
    ])('rejects PATCH /%s %j with 400 naming %s [gate:1.4.2]', async (id, body, field) => {
      const res = await adminApi().patch(`/${encodeURIComponent(id)}`, body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toContain(field);
    });
  });

  describe('POST /admin/users/:id/unlock', () => {
    it('clears a lock so the right password works again', async () => {
      const user = await createUser(gw);
      for (let i = 0; i < 3; i += 1) {
        await http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: 'wrong-password!' } });
      }
      const locked = await http(gw.url, 'POST', '/v1/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expectProblem(locked, 423, 'ACCOUNT_LOCKED');
      const res = await adminApi().post(`/${user.id}/unlock`);
      expect(res.status).toBe(204);
      expect((await login(gw, user)).tokenType).toBe('Bearer');
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expectProblem(await adminApi().post(`/${randomUUID()}/unlock`), 404, 'NOT_FOUND');
      const res = await adminApi().post('/123/unlock');
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toEqual(['id']);
    });
  });

  describe('POST /admin/users/:id/revoke-sessions', () => {
    it('revokes every refresh token of the user', async () => {
      const user = await createUser(gw);
      const pairs = [await login(gw, user), await login(gw, user)];
      expect((await adminApi().post(`/${user.id}/revoke-sessions`)).status).toBe(204);
      for (const pair of pairs) {
        expectProblem(
          await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } }),
          401,
          'TOKEN_INVALID',
        );
      }
      // A new login still works.
      expect((await login(gw, user)).tokenType).toBe('Bearer');
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      expectProblem(await adminApi().post(`/${randomUUID()}/revoke-sessions`), 404, 'NOT_FOUND');
      expectProblem(await adminApi().post('/nope/revoke-sessions'), 400, 'VALIDATION_FAILED');
    });
  });
});

import { randomUUID } from 'node:crypto';
import { controllerApp, type ControllerApp } from '../../../test/helpers/controller-app';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { type PublicUser, UsersService } from '../users';

const publicUser = (overrides: Partial<PublicUser> = {}): PublicUser => ({
  id: randomUUID(),
  email: 'someone@example.test',
  role: 'user',
  disabled: false,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...overrides,
});

describe('AdminUsersController (fake services)', () => {
  const users = { list: jest.fn(), findById: jest.fn() };
  const admin = { create: jest.fn(), update: jest.fn(), unlock: jest.fn(), revokeSessions: jest.fn() };
  let api: ControllerApp;
  let adminToken: string;
  let userToken: string;
  const adminId = randomUUID();

  beforeAll(async () => {
    api = await controllerApp({
      controllers: [AdminUsersController],
      providers: [
        { provide: UsersService, useValue: users },
        { provide: AdminUsersService, useValue: admin },
      ],
    });
    adminToken = await api.tokenFor({
      id: adminId,
      email: 'admin@example.test',
      role: 'admin',
      disabled: false,
      sessionVersion: 0,
    });
    userToken = await api.tokenFor({
      id: randomUUID(),
      email: 'user@example.test',
      role: 'user',
      disabled: false,
      sessionVersion: 0,
    });
  });
  afterAll(() => api.close());
  beforeEach(() => jest.resetAllMocks());

  const id = randomUUID();
  const routes: [method: 'GET' | 'POST' | 'PATCH', url: string][] = [
    ['POST', '/v1/admin/users'],
    ['GET', '/v1/admin/users'],
    ['GET', `/v1/admin/users/${id}`],
    ['PATCH', `/v1/admin/users/${id}`],
    ['POST', `/v1/admin/users/${id}/unlock`],
    ['POST', `/v1/admin/users/${id}/revoke-sessions`],
  ];

  describe('access', () => {
    it.each(routes)('%s %s is an authenticated route: 401 UNAUTHORIZED without a token', async (method, url) => {
      const res = await api.request({ method, url, body: method === 'GET' ? undefined : {} });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it.each(routes)('%s %s is an admin route: 403 FORBIDDEN for a user', async (method, url) => {
      const res = await api.request({ method, url, token: userToken, body: method === 'GET' ? undefined : {} });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('refuses a token of a disabled admin (401 TOKEN_INVALID) and calls no service', async () => {
      const token = await api.tokenFor({
        id: randomUUID(),
        email: 'gone@example.test',
        role: 'admin',
        disabled: true,
        sessionVersion: 0,
      });
      const res = await api.request({ method: 'GET', url: '/v1/admin/users', token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'TOKEN_INVALID' });
      expect(users.list).not.toHaveBeenCalled();
    });

    it('takes the role from the current identity, not from the token', async () => {
      const demotedId = randomUUID();
      const token = await api.tokenFor({
        id: demotedId,
        email: 'was-admin@example.test',
        role: 'admin',
        disabled: false,
        sessionVersion: 0,
      });
      api.identities.add({
        id: demotedId,
        email: 'was-admin@example.test',
        role: 'user',
        disabled: false,
        sessionVersion: 0,
      });
      expect((await api.request({ method: 'GET', url: '/v1/admin/users', token })).status).toBe(403);
    });
  });

  describe('POST /v1/admin/users', () => {
    const body = { email: 'New.Person@Example.test', password: 'correct horse battery staple', role: 'user' };

    it('answers 201 with the user and its Location, and passes the caller as the audit actor', async () => {
      const created = publicUser({ email: 'new.person@example.test' });
      admin.create.mockResolvedValue({ kind: 'created', user: created });
      const res = await api.request({ method: 'POST', url: '/v1/admin/users', token: adminToken, body });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/v1/admin/users/${created.id}`);
      expect(res.body).toEqual(created);
      expect(admin.create).toHaveBeenCalledWith(
        expect.objectContaining({ email: 'new.person@example.test', password: body.password, role: 'user' }),
        expect.objectContaining({ actorId: adminId }),
      );
    });

    it('maps email-taken to 409 CONFLICT', async () => {
      admin.create.mockResolvedValue({ kind: 'email-taken' });
      const res = await api.request({ method: 'POST', url: '/v1/admin/users', token: adminToken, body });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'CONFLICT', detail: 'A user with this email already exists.' });
    });

    it('maps weak-password to 400 VALIDATION_FAILED naming password', async () => {
      admin.create.mockResolvedValue({ kind: 'weak-password', reason: 'is too easy to guess: a common password.' });
      const res = await api.request({ method: 'POST', url: '/v1/admin/users', token: adminToken, body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'password', message: 'is too easy to guess: a common password.' }],
      });
    });

    it('refuses a short password and an unknown role with 400 naming the fields, before the service', async () => {
      const res = await api.request({
        method: 'POST',
        url: '/v1/admin/users',
        token: adminToken,
        body: { email: 'a@example.test', password: 'short', role: 'root' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      const fields = (res.body?.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['password', 'role']));
      expect(admin.create).not.toHaveBeenCalled();
    });
  });

  describe('one canonical form for every user id', () => {
    const upper = id.toUpperCase();
    const context = expect.objectContaining({ actorId: adminId });

    it('passes an upper-case :id to every service in lower case', async () => {
      users.findById.mockResolvedValue(null);
      admin.update.mockResolvedValue({ kind: 'not-found' });
      admin.unlock.mockResolvedValue({ kind: 'done' });
      admin.revokeSessions.mockResolvedValue({ kind: 'done' });
      const base = `/v1/admin/users/${upper}`;
      await api.request({ method: 'GET', url: base, token: adminToken });
      await api.request({ method: 'PATCH', url: base, token: adminToken, body: { disabled: true } });
      expect((await api.request({ method: 'POST', url: `${base}/unlock`, token: adminToken })).status).toBe(204);
      expect((await api.request({ method: 'POST', url: `${base}/revoke-sessions`, token: adminToken })).status).toBe(
        204,
      );
      expect(users.findById).toHaveBeenCalledWith(id);
      expect(admin.update).toHaveBeenCalledWith(id, { role: undefined, disabled: true }, context);
      expect(admin.unlock).toHaveBeenCalledWith(id, context);
      expect(admin.revokeSessions).toHaveBeenCalledWith(id, context);
    });

    it.each([
      ['braces', `%7B${id}%7D`],
      ['a urn:uuid: prefix', `urn:uuid:${id}`],
      ['surrounding whitespace', `%20${id}%20`],
      [
        'fullwidth letters',
        encodeURIComponent(id.replace(/[a-f]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))),
      ],
      ['Arabic-Indic digits', encodeURIComponent(id.replace(/[0-9]/, '\u0663'))],
    ])('refuses an id with %s: 400 naming id, no service called', async (_what, spelled) => {
      for (const [method, suffix] of [
        ['PATCH', ''],
        ['POST', '/unlock'],
        ['POST', '/revoke-sessions'],
      ] as const) {
        const res = await api.request({
          method,
          url: `/v1/admin/users/${spelled}${suffix}`,
          token: adminToken,
          body: method === 'PATCH' ? { disabled: true } : undefined,
        });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({
          code: 'VALIDATION_FAILED',
          errors: [{ field: 'id', message: 'id must be a UUID' }],
        });
      }
      expect(admin.update).not.toHaveBeenCalled();
      expect(admin.unlock).not.toHaveBeenCalled();
      expect(admin.revokeSessions).not.toHaveBeenCalled();
    });
  });

  describe('GET /v1/admin/users', () => {
    it('passes page and pageSize (defaults 1 and 20) and answers the page', async () => {
      users.list.mockResolvedValue({ items: [], page: 1, pageSize: 20, total: 0 });
      const res = await api.request({ method: 'GET', url: '/v1/admin/users', token: adminToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], page: 1, pageSize: 20, total: 0 });
      expect(users.list).toHaveBeenCalledWith(1, 20);
    });

    it('refuses a pageSize above 100 with 400 VALIDATION_FAILED', async () => {
      const res = await api.request({ method: 'GET', url: '/v1/admin/users?pageSize=101', token: adminToken });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(users.list).not.toHaveBeenCalled();
    });
  });

  describe('GET /v1/admin/users/:id', () => {
    it('answers the public user (no password hash) and 404 NOT_FOUND for an unknown id', async () => {
      const row = { ...publicUser(), passwordHash: '$argon2id$secret', sessionVersion: 0 };
      users.findById.mockResolvedValueOnce({
        ...row,
        createdAt: new Date(row.createdAt),
        updatedAt: new Date(row.updatedAt),
      });
      const found = await api.request({ method: 'GET', url: `/v1/admin/users/${row.id}`, token: adminToken });
      expect(found.status).toBe(200);
      expect(found.body).toEqual(publicUser({ id: row.id }));
      users.findById.mockResolvedValueOnce(null);
      const missing = await api.request({ method: 'GET', url: `/v1/admin/users/${id}`, token: adminToken });
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'NOT_FOUND', detail: 'No user with this id.' });
    });

    it('refuses an id that is not a UUID with 400 naming id', async () => {
      const res = await api.request({ method: 'GET', url: '/v1/admin/users/not-a-uuid', token: adminToken });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'id' })] });
      expect(users.findById).not.toHaveBeenCalled();
    });
  });

  describe('PATCH /v1/admin/users/:id', () => {
    const patch = (body: unknown) =>
      api.request({ method: 'PATCH', url: `/v1/admin/users/${id}`, token: adminToken, body });

    it('answers 200 with the updated user, passing only role and disabled', async () => {
      const updated = publicUser({ id, role: 'admin' });
      admin.update.mockResolvedValue({ kind: 'updated', user: updated });
      const res = await patch({ role: 'admin' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(updated);
      expect(admin.update).toHaveBeenCalledWith(
        id,
        { role: 'admin', disabled: undefined },
        expect.objectContaining({ actorId: adminId }),
      );
    });

    it('refuses a body with neither role nor disabled (400, field body)', async () => {
      const res = await patch({});
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body' }] });
      expect(admin.update).not.toHaveBeenCalled();
    });

    it.each([
      [{ kind: 'not-found' }, 404, 'NOT_FOUND', 'No user with this id.'],
      [{ kind: 'actor-not-admin' }, 403, 'FORBIDDEN', 'Your account is no longer an enabled admin.'],
      [
        { kind: 'last-admin', reason: 'own-account' },
        409,
        'LAST_ADMIN',
        'An admin cannot disable or demote their own account; ask another admin.',
      ],
      [
        { kind: 'last-admin', reason: 'last-enabled-admin' },
        409,
        'LAST_ADMIN',
        'This is the last enabled admin; promote or enable another admin first.',
      ],
    ])('maps %j to %i %s', async (outcome, status, code, detail) => {
      admin.update.mockResolvedValue(outcome);
      const res = await patch({ disabled: true });
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ code, detail, status });
    });
  });

  describe.each([
    ['unlock', admin.unlock],
    ['revoke-sessions', admin.revokeSessions],
  ])('POST /v1/admin/users/:id/%s', (action, serviceCall) => {
    it('answers 204 when done and 404 NOT_FOUND for an unknown user', async () => {
      serviceCall.mockResolvedValueOnce({ kind: 'done' });
      const done = await api.request({ method: 'POST', url: `/v1/admin/users/${id}/${action}`, token: adminToken });
      expect(done.status).toBe(204);
      expect(done.body).toBeUndefined();
      expect(serviceCall).toHaveBeenCalledWith(id, expect.objectContaining({ actorId: adminId }));
      serviceCall.mockResolvedValueOnce({ kind: 'not-found' });
      const missing = await api.request({ method: 'POST', url: `/v1/admin/users/${id}/${action}`, token: adminToken });
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});

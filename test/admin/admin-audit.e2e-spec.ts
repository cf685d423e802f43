import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AUDIT_ACTIONS, type AuditRecordView } from '../../src/features/admin/audit/admin-audit.repository';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createSignedInUser, createUser, login, randomEmail, randomPassword, SignedInUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { ownerDatabaseUrl } from '../helpers/database';
import { dbSnapshot } from '../helpers/db-snapshot';

type Actor = SignedInUser;
interface AuditPage {
  items: AuditRecordView[];
  nextCursor: string | null;
}

describe('admin audit trail (issue 12, item 8)', () => {
  let gw: TestApp;
  let prisma: PrismaService;
  let admin: Actor;
  beforeAll(async () => {
    gw = await startApp({ LOCKOUT_THRESHOLD: '2' });
    prisma = gw.app.get(PrismaService);
    admin = await newActor('admin');
  });
  afterAll(() => gw.close());

  function newActor(role: 'user' | 'admin' = 'user'): Promise<Actor> {
    return createSignedInUser(gw, role);
  }
  const audit = (query: string, token = admin.token): Promise<HttpResult<AuditPage & Record<string, unknown>>> =>
    http<AuditPage & Record<string, unknown>>(gw.url, 'GET', `/v1/admin/audit${query}`, { token });
  const adminCall = (method: string, path: string, body?: unknown, actor: Actor = admin) =>
    http(gw.url, method, `/v1/admin/users${path}`, {
      token: actor.token,
      body,
      headers: { 'x-request-id': `req-${randomUUID()}` },
    });

  it('records every admin action with actor, target, before/after, request id, client IP and time', async () => {
    const actor = await newActor('admin');
    const email = randomEmail();
    const password = randomPassword();
    const created = await adminCall('POST', '', { email, password, role: 'user' }, actor);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Lock the account, so that the unlock has something to clear.
    for (let i = 0; i < 2; i++)
      await http(gw.url, 'POST', '/v1/auth/login', { body: { email, password: 'wrong-password-1' } });
    const calls = [
      created,
      await adminCall('PATCH', `/${id}`, { role: 'admin' }, actor),
      await adminCall('PATCH', `/${id}`, { disabled: true }, actor),
      await adminCall('PATCH', `/${id}`, { disabled: false, role: 'user' }, actor),
      await adminCall('POST', `/${id}/unlock`, undefined, actor),
      await adminCall('POST', `/${id}/revoke-sessions`, undefined, actor),
    ];
    expect(calls.map((c) => c.status)).toEqual([201, 200, 200, 200, 204, 204]);

    const page = await audit(`?target=${id}`);
    expect(page.status).toBe(200);
    const items = page.body.items;
    // Newest first.
    expect(items.map((i) => i.action)).toEqual([
      'user.revoke_sessions',
      'user.unlock',
      'user.enable',
      'user.role_change',
      'user.disable',
      'user.role_change',
      'user.create',
    ]);
    expect(items.map((i) => [i.action, i.before, i.after]).reverse()).toEqual([
      ['user.create', null, { email, role: 'user', disabled: false }],
      ['user.role_change', { role: 'user' }, { role: 'admin' }],
      ['user.disable', { disabled: false }, { disabled: true }],
      ['user.role_change', { role: 'admin' }, { role: 'user' }],
      ['user.enable', { disabled: true }, { disabled: false }],
      ['user.unlock', null, null],
      ['user.revoke_sessions', null, null],
    ]);
    // Every action the trail knows was exercised above.
    expect(new Set(items.map((i) => i.action))).toEqual(new Set(AUDIT_ACTIONS));
    const requestIds = calls.map((c) => c.headers.get('x-request-id'));
    expect(items.map((i) => i.requestId).reverse()).toEqual([
      requestIds[0],
      requestIds[1],
      requestIds[2],
      requestIds[3],
      requestIds[3],
      requestIds[4],
      requestIds[5],
    ]);
    for (const item of items) {
      expect(item).toEqual(
        expect.objectContaining({
          actorId: actor.id,
          targetId: id,
          clientIp: '127.0.0.1',
          id: expect.stringMatching(/^\d+$/),
        }),
      );
      expect(Date.parse(item.at)).not.toBeNaN();
    }
    // Never a password, a hash or a token.
    expect(page.text).not.toContain(password);
    expect(page.text).not.toMatch(/argon2|passwordHash|password|token/i);
  });

  it('records nothing for a refused action (the record shares the change transaction)', async () => {
    const actor = await newActor('admin');
    const existing = await createUser(gw);
    const before = await dbSnapshot(prisma, [actor.id, existing.id], [existing.email]);
    expectProblem(
      await adminCall('POST', '', { email: existing.email, password: randomPassword(), role: 'user' }, actor),
      409,
      'CONFLICT',
    );
    expectProblem(await adminCall('PATCH', `/${actor.id}`, { disabled: true }, actor), 409, 'LAST_ADMIN');
    expectProblem(await adminCall('PATCH', `/${randomUUID()}`, { disabled: true }, actor), 404, 'NOT_FOUND');
    expectProblem(await adminCall('POST', `/${randomUUID()}/unlock`, undefined, actor), 404, 'NOT_FOUND');
    expectProblem(await adminCall('POST', `/${randomUUID()}/revoke-sessions`, undefined, actor), 404, 'NOT_FOUND');
    expect(await dbSnapshot(prisma, [actor.id, existing.id], [existing.email])).toEqual(before);
    expect((await audit(`?actor=${actor.id}`)).body.items).toEqual([]);
  });

  it('a no-op PATCH records nothing', async () => {
    const target = await createUser(gw);
    expect((await adminCall('PATCH', `/${target.id}`, { role: 'user', disabled: false })).status).toBe(200);
    expect((await audit(`?target=${target.id}`)).body.items).toEqual([]);
  });

  it('filters by actor, target and action, and pages newest first with an opaque cursor', async () => {
    const actor = await newActor('admin');
    const targets = await Promise.all([createUser(gw), createUser(gw), createUser(gw)]);
    for (const t of targets) {
      expect((await adminCall('POST', `/${t.id}/revoke-sessions`, undefined, actor)).status).toBe(204);
      expect((await adminCall('PATCH', `/${t.id}`, { disabled: true }, actor)).status).toBe(200);
    }
    const all = (await audit(`?actor=${actor.id}&limit=100`)).body;
    expect(all.items).toHaveLength(6);
    expect(all.nextCursor).toBeNull();
    const ids = all.items.map((i) => BigInt(i.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);

    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res: HttpResult<AuditPage & Record<string, unknown>> = await audit(
        `?actor=${actor.id}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      seen.push(...res.body.items.map((i) => i.id));
      cursor = res.body.nextCursor;
      if (cursor !== null) expect(cursor).not.toMatch(/^\d+$/);
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen).toEqual(all.items.map((i) => i.id));

    const disables = (await audit(`?actor=${actor.id}&action=user.disable`)).body.items;
    expect(disables.map((i) => i.action)).toEqual(['user.disable', 'user.disable', 'user.disable']);
    const one = (await audit(`?target=${targets[1].id}`)).body.items;
    expect(one.map((i) => i.action)).toEqual(['user.disable', 'user.revoke_sessions']);
    expect(
      (await audit(`?actor=${actor.id}&target=${targets[0].id}&action=user.revoke_sessions`)).body.items,
    ).toHaveLength(1);
    // Defaults: limit 20.
    expect((await audit('')).body.items.length).toBeLessThanOrEqual(20);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=abc', 'limit'],
    ['?limit=1.5', 'limit'],
    ['?limit=-1', 'limit'],
    ['?limit=1&limit=2', 'limit'],
    ['?cursor=', 'cursor'],
    ['?cursor=not*a*cursor', 'cursor'],
    ['?cursor=MTIz', 'cursor'],
    [`?cursor=${Buffer.from('a1:0').toString('base64url')}`, 'cursor'],
    [`?cursor=${Buffer.from('a1:99999999999999999999').toString('base64url')}`, 'cursor'],
    [`?cursor=${'A'.repeat(2000)}`, 'cursor'],
    ['?actor=not-a-uuid', 'actor'],
    [`?actor=${randomUUID()}&actor=${randomUUID()}`, 'actor'],
    ['?target=1', 'target'],
    ['?action=user.delete', 'action'],
    ['?action=USER.CREATE', 'action'],
    ['?bogus=1', 'bogus'],
    ['?constructor=1', 'constructor'],
  ])('answers %s with 400 naming %s', async (query, field) => {
    const res = await audit(query);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
  });

  it('is for admins only: 401 without a token, 403 for a user', async () => {
    expectProblem(await http(gw.url, 'GET', '/v1/admin/audit'), 401, 'UNAUTHORIZED');
    expectProblem(await audit('', (await newActor()).token), 403, 'FORBIDDEN');
  });

  it('is append-only in the database itself: the runtime role may not UPDATE, DELETE, TRUNCATE or disable the trigger', async () => {
    const target = await createUser(gw);
    expect((await adminCall('POST', `/${target.id}/revoke-sessions`)).status).toBe(204);
    const before = await dbSnapshot(prisma, [target.id]);
    expect((before.audit as unknown[]).length).toBe(1);
    // The gateway's own connection (a member of gateway_runtime: INSERT and SELECT only).
    await expect(
      prisma.$executeRaw`UPDATE admin_audit SET action = 'x' WHERE target_id = ${target.id}::uuid`,
    ).rejects.toThrow(/permission denied for table admin_audit/);
    await expect(prisma.$executeRaw`DELETE FROM admin_audit WHERE target_id = ${target.id}::uuid`).rejects.toThrow(
      /permission denied for table admin_audit/,
    );
    await expect(prisma.$executeRawUnsafe('TRUNCATE admin_audit')).rejects.toThrow(
      /permission denied for table admin_audit/,
    );
    await expect(prisma.$executeRawUnsafe('ALTER TABLE admin_audit DISABLE TRIGGER ALL')).rejects.toThrow(
      /must be owner of table admin_audit/,
    );
    await expect(
      prisma.$executeRawUnsafe('ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete'),
    ).rejects.toThrow(/must be owner of table admin_audit/);
    expect(await dbSnapshot(prisma, [target.id])).toEqual(before);
  });

  it('is append-only for the table owner too, as long as the trigger is enabled: UPDATE, DELETE and TRUNCATE raise', async () => {
    const target = await createUser(gw);
    expect((await adminCall('POST', `/${target.id}/revoke-sessions`)).status).toBe(204);
    const before = await dbSnapshot(prisma, [target.id]);
    const owner = new Client({ connectionString: ownerDatabaseUrl() });
    await owner.connect();
    try {
      await expect(
        owner.query(`UPDATE admin_audit SET action = 'x' WHERE target_id = $1::uuid`, [target.id]),
      ).rejects.toThrow(/append-only/);
      await expect(owner.query(`DELETE FROM admin_audit WHERE target_id = $1::uuid`, [target.id])).rejects.toThrow(
        /append-only/,
      );
      await expect(owner.query('TRUNCATE admin_audit')).rejects.toThrow(/append-only/);
    } finally {
      await owner.end();
    }
    expect(await dbSnapshot(prisma, [target.id])).toEqual(before);
  });

  it('records the client IP by the TRUST_PROXY rules (a spoofed X-Forwarded-For from an untrusted peer is ignored)', async () => {
    const proxied = await startApp({ TRUST_PROXY: '127.0.0.1' });
    try {
      const actor = await createUser(proxied, 'admin');
      const token = (await login(proxied, actor)).accessToken;
      const target = await createUser(proxied);
      const res = await http(proxied.url, 'POST', `/v1/admin/users/${target.id}/revoke-sessions`, {
        token,
        headers: { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' },
      });
      expect(res.status).toBe(204);
      const [row] = await prisma.adminAudit.findMany({ where: { targetId: target.id } });
      // The trusted hop (127.0.0.1) vouches for the right-most address only.
      expect(row?.clientIp).toBe('203.0.113.7');
    } finally {
      await proxied.close();
    }
    const target = await createUser(gw);
    await http(gw.url, 'POST', `/v1/admin/users/${target.id}/revoke-sessions`, {
      token: admin.token,
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    const [row] = await prisma.adminAudit.findMany({ where: { targetId: target.id } });
    expect(row?.clientIp).toBe('127.0.0.1');
  });
});

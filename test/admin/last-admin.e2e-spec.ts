import { PrismaService } from '../../src/platform/database/prisma.service';
import { createSignedInUser, SignedInUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { dbSnapshot } from '../helpers/db-snapshot';

type Admin = SignedInUser;

describe('the last admin (issue 12, item 6): 409 LAST_ADMIN, race-safe', () => {
  let gw: TestApp;
  let prisma: PrismaService;
  beforeAll(async () => {
    gw = await startApp();
    prisma = gw.app.get(PrismaService);
  });
  afterAll(() => gw.close());

  const newAdmin = (): Promise<Admin> => createSignedInUser(gw, 'admin');
  const patch = (actor: Admin, targetId: string, body: Record<string, unknown>): Promise<HttpResult> =>
    http(gw.url, 'PATCH', `/v1/admin/users/${targetId}`, { token: actor.token, body });

  it.each([[{ disabled: true }], [{ role: 'user' }], [{ role: 'user', disabled: true }]])(
    'an admin cannot %j their own account: 409 LAST_ADMIN, nothing changes',
    async (body) => {
      const admin = await newAdmin();
      const other = await newAdmin(); // so that "last" is not the reason
      const before = await dbSnapshot(prisma, [admin.id, other.id]);
      const res = await patch(admin, admin.id, body);
      expectProblem(res, 409, 'LAST_ADMIN');
      expect(res.body.detail).toMatch(/own account/);
      expect(await dbSnapshot(prisma, [admin.id, other.id])).toEqual(before);
      // The account still administers.
      expect((await http(gw.url, 'GET', '/v1/admin/users', { token: admin.token })).status).toBe(200);
    },
  );

  it('an admin may still make no-op or non-removing changes to their own account', async () => {
    const admin = await newAdmin();
    const res = await patch(admin, admin.id, { role: 'admin', disabled: false });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ role: 'admin', disabled: false }));
  });

  it('another admin can demote or disable an admin (there is more than one)', async () => {
    const [a, b, c] = await Promise.all([newAdmin(), newAdmin(), newAdmin()]);
    expect((await patch(a, b.id, { role: 'user' })).body).toEqual(expect.objectContaining({ role: 'user' }));
    expect((await patch(a, c.id, { disabled: true })).body).toEqual(expect.objectContaining({ disabled: true }));
  });

  it.each([
    ['demote', { role: 'user' }],
    ['disable', { disabled: true }],
  ])('two admins who %s each other at once never both succeed (repeated)', async (_verb, body) => {
    for (let round = 0; round < 6; round++) {
      const [a, b] = await Promise.all([newAdmin(), newAdmin()]);
      const before = await dbSnapshot(prisma, [a.id, b.id]);
      const [ab, ba] = await Promise.all([patch(a, b.id, body), patch(b, a.id, body)]);
      const statuses = [ab.status, ba.status].sort();
      expect(statuses[0]).toBe(200);
      // The loser finds itself no longer an enabled admin (403), whether at its guard or under the lock.
      const loser = ab.status === 200 ? ba : ab;
      expectProblem(loser, 403, 'FORBIDDEN');
      const rows = await prisma.user.findMany({ where: { id: { in: [a.id, b.id] } } });
      const enabledAdmins = rows.filter((r) => r.role === 'admin' && !r.disabled);
      expect(enabledAdmins).toHaveLength(1);
      // Exactly one change was made and audited; the loser wrote nothing.
      const winner = ab.status === 200 ? a : b;
      const audit = await prisma.adminAudit.findMany({ where: { targetId: { in: [a.id, b.id] } } });
      expect(audit.map((r) => r.actorId)).toEqual([winner.id]);
      expect((before.audit as unknown[]).length).toBe(0);
    }
  });

  it('an admin demoted a moment ago cannot act any more (403), and changes nothing', async () => {
    const [a, b, target] = await Promise.all([newAdmin(), newAdmin(), newAdmin()]);
    expect((await patch(a, b.id, { role: 'user' })).status).toBe(200);
    const before = await dbSnapshot(prisma, [b.id, target.id]);
    expectProblem(await patch(b, target.id, { disabled: true }), 403, 'FORBIDDEN');
    expect(await dbSnapshot(prisma, [b.id, target.id])).toEqual(before);
  });
});

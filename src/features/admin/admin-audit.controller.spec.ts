import { randomUUID } from 'node:crypto';
import { controllerApp, type ControllerApp } from '../../../test/helpers/controller-app';
import { AdminAuditController } from './admin-audit.controller';
import { AdminAuditRepository, type AuditRecordView } from './audit/admin-audit.repository';
import { decodeAuditCursor, encodeAuditCursor } from './audit/audit-cursor';

const record = (id: string): AuditRecordView => ({
  id,
  at: '2026-12-01T00:00:00.000Z',
  actorId: randomUUID(),
  targetId: randomUUID(),
  action: 'user.unlock',
  before: null,
  after: null,
  requestId: 'req-1',
  clientIp: '127.0.0.1',
});

describe('AdminAuditController (fake repository)', () => {
  const audit = { list: jest.fn() };
  let api: ControllerApp;
  let adminToken: string;

  beforeAll(async () => {
    api = await controllerApp({
      controllers: [AdminAuditController],
      providers: [{ provide: AdminAuditRepository, useValue: audit }],
    });
    adminToken = await api.tokenFor({
      id: randomUUID(),
      email: 'admin@example.test',
      role: 'admin',
      disabled: false,
      sessionVersion: 0,
    });
  });
  afterAll(() => api.close());
  beforeEach(() => jest.resetAllMocks());

  it('is an admin route: 401 without a token, 403 for a user', async () => {
    expect((await api.request({ method: 'GET', url: '/v1/admin/audit' })).body).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    const userToken = await api.tokenFor({
      id: randomUUID(),
      email: 'user@example.test',
      role: 'user',
      disabled: false,
      sessionVersion: 0,
    });
    expect((await api.request({ method: 'GET', url: '/v1/admin/audit', token: userToken })).body).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(audit.list).not.toHaveBeenCalled();
  });

  it('passes the filters and the limit, and answers a nextCursor that names the last item', async () => {
    const actor = randomUUID();
    audit.list.mockResolvedValue({ items: [record('12'), record('7')], more: true });
    const res = await api.request({
      method: 'GET',
      url: `/v1/admin/audit?actor=${actor}&action=user.unlock&limit=2`,
      token: adminToken,
    });
    expect(res.status).toBe(200);
    expect(audit.list).toHaveBeenCalledWith({ actor, target: undefined, action: 'user.unlock' }, 2, undefined);
    expect(decodeAuditCursor(String(res.body?.nextCursor))).toBe(7n);
  });

  it('passes actor and target filters in lower case, whatever case they came in', async () => {
    const actor = randomUUID();
    const target = randomUUID();
    audit.list.mockResolvedValue({ items: [], more: false });
    const res = await api.request({
      method: 'GET',
      url: `/v1/admin/audit?actor=${actor.toUpperCase()}&target=${target.toUpperCase()}`,
      token: adminToken,
    });
    expect(res.status).toBe(200);
    expect(audit.list).toHaveBeenCalledWith({ actor, target, action: undefined }, 20, undefined);
  });

  it('answers nextCursor null on the last page and reads a cursor back as the id to continue before', async () => {
    audit.list.mockResolvedValue({ items: [record('3')], more: false });
    const res = await api.request({
      method: 'GET',
      url: `/v1/admin/audit?cursor=${encodeAuditCursor('7')}`,
      token: adminToken,
    });
    expect(res.body).toMatchObject({ nextCursor: null });
    expect(audit.list).toHaveBeenCalledWith(expect.any(Object), 20, 7n);
  });

  it.each([
    ['a well-formed but forged cursor', `cursor=${Buffer.from('a1:07').toString('base64url')}`, 'cursor'],
    ['an unknown action', 'action=user.delete', 'action'],
    ['an actor that is not a UUID', 'actor=me', 'actor'],
    ['a target with a urn:uuid: prefix', `target=urn:uuid:${randomUUID()}`, 'target'],
    ['a limit above 100', 'limit=101', 'limit'],
  ])('refuses %s with 400 naming the field, before the repository', async (_what, query, field) => {
    const res = await api.request({ method: 'GET', url: `/v1/admin/audit?${query}`, token: adminToken });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field })] });
    expect(audit.list).not.toHaveBeenCalled();
  });
});

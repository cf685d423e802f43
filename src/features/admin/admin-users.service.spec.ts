import { Test } from '@nestjs/testing';
import { FakeUsersDb } from '../../../test/helpers/fake-users';
import { PrismaService } from '../../platform/database/prisma.service';
import { AdminUsersService } from './admin-users.service';
import { AdminAuditRepository, type AuditContext } from './audit/admin-audit.repository';
import { PasswordHasher } from '../users';
import { UserIdentities, LockoutService, RefreshTokenService } from '../auth';

describe('AdminUsersService (in-memory users, fake sessions and lockout)', () => {
  let db: FakeUsersDb;
  let service: AdminUsersService;
  const refreshTokens = { revokeAllForUser: jest.fn() };
  const lockout = { clear: jest.fn() };
  const identities = { invalidate: jest.fn() };
  const hasher = { hash: jest.fn((password: string) => Promise.resolve(`hash:${password.length}`)) };
  let context: AuditContext;

  beforeEach(async () => {
    jest.clearAllMocks();
    // revoke-sessions passes its audit insert to run in the revocation's transaction.
    refreshTokens.revokeAllForUser.mockImplementation((_id: string, _reason: string, also: Promise<unknown>[] = []) =>
      Promise.all(also).then(() => 1),
    );
    db = new FakeUsersDb();
    const moduleRef = await Test.createTestingModule({
      providers: [
        AdminUsersService,
        AdminAuditRepository,
        { provide: PrismaService, useValue: db },
        { provide: PasswordHasher, useValue: hasher },
        { provide: RefreshTokenService, useValue: refreshTokens },
        { provide: LockoutService, useValue: lockout },
        { provide: UserIdentities, useValue: identities },
      ],
    }).compile();
    service = moduleRef.get(AdminUsersService);
    const actor = db.add({ role: 'admin', email: 'actor@example.test' });
    context = { actorId: actor.id, requestId: 'req-1', clientIp: '127.0.0.1' };
  });

  describe('create', () => {
    it('creates the user with a hashed password and a normalized email, and audits it', async () => {
      const outcome = await service.create(
        { email: ' New@Example.TEST ', password: 'a long enough password', role: 'user' },
        context,
      );
      expect(outcome).toMatchObject({ kind: 'created', user: { email: 'new@example.test', role: 'user' } });
      const id = outcome.kind === 'created' ? outcome.user.id : '';
      expect(db.rows.get(id)?.passwordHash).toBe('hash:22');
      expect(db.audit).toEqual([
        expect.objectContaining({
          actorId: context.actorId,
          targetId: id,
          action: 'user.create',
          after: { email: 'new@example.test', role: 'user', disabled: false },
        }),
      ]);
    });

    it('answers weak-password for a guessable password, without hashing it or writing anything', async () => {
      const writes = db.writes;
      hasher.hash.mockClear();
      const outcome = await service.create(
        { email: 'weak@example.test', password: 'password1234', role: 'user' },
        context,
      );
      expect(outcome).toEqual({ kind: 'weak-password', reason: expect.stringMatching(/^is too easy to guess/) });
      expect(JSON.stringify(outcome)).not.toContain('password1234');
      expect(hasher.hash).not.toHaveBeenCalled();
      expect(db.writes).toBe(writes);
    });

    it('answers email-taken for an email in use in another case, and records nothing', async () => {
      db.add({ email: 'taken@example.test' });
      const writes = db.writes;
      await expect(
        service.create({ email: 'TAKEN@example.test', password: 'a long enough password', role: 'user' }, context),
      ).resolves.toEqual({
        kind: 'email-taken',
      });
      expect(db.writes).toBe(writes);
    });
  });

  describe('update', () => {
    it('changes the role, audits exactly that change and drops the cached identity', async () => {
      const target = db.add();
      const outcome = await service.update(target.id, { role: 'admin' }, context);
      expect(outcome).toMatchObject({ kind: 'updated', user: { id: target.id, role: 'admin', disabled: false } });
      expect(db.audit.map((a) => a.action)).toEqual(['user.role_change']);
      expect(identities.invalidate).toHaveBeenCalledWith(target.id);
      expect(refreshTokens.revokeAllForUser).not.toHaveBeenCalled();
    });

    it('ends every session of a user it disables', async () => {
      const target = db.add();
      await service.update(target.id, { disabled: true }, context);
      expect(refreshTokens.revokeAllForUser).toHaveBeenCalledWith(target.id, 'user_disabled');
      expect(db.audit.map((a) => a.action)).toEqual(['user.disable']);
    });

    it('records nothing for a change that changes nothing', async () => {
      const target = db.add({ role: 'user' });
      await expect(service.update(target.id, { role: 'user' }, context)).resolves.toMatchObject({ kind: 'updated' });
      expect(db.audit).toEqual([]);
    });

    it.each([
      ['an unknown user', 'not-found'],
      ['a caller who is no longer an enabled admin', 'actor-not-admin'],
      ['disabling or demoting the caller itself', 'own-account'],
    ])('refuses %s and writes nothing', async (_what, refusal) => {
      const other = db.add({ role: 'admin' });
      let id = other.id;
      let changes: { role?: 'user'; disabled?: boolean } = { role: 'user' };
      if (refusal === 'not-found') id = '00000000-0000-4000-8000-000000000000';
      if (refusal === 'actor-not-admin')
        db.rows.set(context.actorId, { ...db.rows.get(context.actorId)!, disabled: true });
      if (refusal === 'own-account') [id, changes] = [context.actorId, { disabled: true }];
      const writes = db.writes;
      const outcome = await service.update(id, changes, context);
      expect(outcome.kind === 'last-admin' ? outcome.reason : outcome.kind).toBe(refusal);
      expect(db.writes).toBe(writes);
      expect(identities.invalidate).not.toHaveBeenCalled();
      expect(refreshTokens.revokeAllForUser).not.toHaveBeenCalled();
    });

    it('of two admins, one may demote the other, and the one left cannot demote itself', async () => {
      const other = db.add({ role: 'admin' });
      await expect(service.update(other.id, { role: 'user' }, context)).resolves.toMatchObject({ kind: 'updated' });
      await expect(service.update(context.actorId, { role: 'user' }, context)).resolves.toEqual({
        kind: 'last-admin',
        reason: 'own-account',
      });
      expect(db.rows.get(context.actorId)?.role).toBe('admin');
    });
  });

  describe('unlock and revoke-sessions', () => {
    it('unlock clears the lockout by the stored email and audits it; not-found for an unknown id', async () => {
      const target = db.add({ email: 'locked@example.test' });
      await expect(service.unlock(target.id, context)).resolves.toEqual({ kind: 'done' });
      expect(lockout.clear).toHaveBeenCalledWith('locked@example.test');
      expect(db.audit.map((a) => a.action)).toEqual(['user.unlock']);
      await expect(service.unlock('00000000-0000-4000-8000-000000000000', context)).resolves.toEqual({
        kind: 'not-found',
      });
      expect(lockout.clear).toHaveBeenCalledTimes(1);
    });

    it('revoke-sessions ends every family with its audit record; not-found for an unknown id', async () => {
      const target = db.add();
      await expect(service.revokeSessions(target.id, context)).resolves.toEqual({ kind: 'done' });
      expect(refreshTokens.revokeAllForUser).toHaveBeenCalledWith(target.id, 'sessions_revoked', [expect.any(Promise)]);
      expect(db.audit.map((a) => a.action)).toEqual(['user.revoke_sessions']);
      await expect(service.revokeSessions('00000000-0000-4000-8000-000000000000', context)).resolves.toEqual({
        kind: 'not-found',
      });
    });
  });
});

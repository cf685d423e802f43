import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../../platform/database/prisma.service';
import { Prisma, type User } from '../../generated/prisma/client';
import { AdminAuditRepository, AuditContext, AuditEntry } from './audit/admin-audit.repository';
import {
  PasswordHasher,
  DuplicateEmailError,
  hashNewPassword,
  insertHashedUser,
  PublicUser,
  toPublicUser,
  UserRole,
  WeakPasswordError,
} from '../users';
import { UserIdentities, LockoutService, LockoutUnavailableError, RefreshTokenService } from '../auth';

/** What an admin action did, in admin terms; the controller maps each refusal to its problem. */
export type AdminCreateOutcome =
  | { kind: 'created'; user: PublicUser }
  | { kind: 'email-taken' }
  /** The password is guessable; `reason` says why and never contains it. */
  | { kind: 'weak-password'; reason: string };
export type AdminUpdateOutcome =
  | { kind: 'updated'; user: PublicUser }
  | { kind: 'not-found' }
  /** The caller's own account is no longer an enabled admin (changed since its token was checked). */
  | { kind: 'actor-not-admin' }
  /** The change would disable or demote the caller's own account, or the last enabled admin. */
  | { kind: 'last-admin'; reason: 'own-account' | 'last-enabled-admin' };
export type AdminUserActionOutcome = { kind: 'done' } | { kind: 'not-found' };
export type AdminUnlockOutcome =
  | AdminUserActionOutcome
  /** The lockout store (Redis) did not answer: nothing was cleared and nothing audited. */
  | { kind: 'lockout-unavailable'; retryAfterSeconds: number };

/**
 * Admin actions on users. Each change and its audit record commit in one transaction (unlock is
 * the exception: the lock lives in Redis, so its record is written after Redis confirmed).
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
    private readonly refreshTokens: RefreshTokenService,
    private readonly lockout: LockoutService,
    private readonly audit: AdminAuditRepository,
    private readonly identities: UserIdentities,
  ) {}

  /**
   * `weak-password` for a guessable password, `email-taken` if the (normalized) email is in use. The
   * password is checked and hashed before the transaction opens.
   */
  async create(
    input: { email: string; password: string; role: UserRole },
    context: AuditContext,
  ): Promise<AdminCreateOutcome> {
    let passwordHash: string;
    try {
      passwordHash = await hashNewPassword(this.hasher, input.password, input.email);
    } catch (error) {
      if (error instanceof WeakPasswordError) return { kind: 'weak-password', reason: error.reason };
      throw error;
    }
    try {
      const user = await this.prisma.$transaction(async (tx) => {
        const created = await insertHashedUser(tx, { email: input.email, passwordHash, role: input.role });
        await this.audit.record(tx, context, {
          targetId: created.id,
          action: 'user.create',
          before: null,
          after: { email: created.email, role: created.role, disabled: created.disabled },
        });
        return created;
      });
      return { kind: 'created', user: toPublicUser(user) };
    } catch (error) {
      if (error instanceof DuplicateEmailError) return { kind: 'email-taken' };
      throw error;
    }
  }

  /**
   * Changes role and/or disabled. Refuses (`last-admin`) to disable or demote the caller's own
   * account, or the last enabled admin. Race-safe: the transaction first locks (FOR NO KEY UPDATE) every enabled admin
   * row (in id order, so two of these cannot deadlock), then checks that the caller is still one of
   * them and that one would remain. Two admins demoting each other serialize on those locks, and
   * the second finds the first's change committed. Disabling ends every refresh family of the user.
   */
  async update(
    id: string,
    changes: { role?: UserRole; disabled?: boolean },
    context: AuditContext,
  ): Promise<AdminUpdateOutcome> {
    const outcome = await this.prisma.$transaction(
      async (tx): Promise<Exclude<AdminUpdateOutcome, { kind: 'updated' }> | { kind: 'updated'; row: User }> => {
        const admins = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM users WHERE role = 'admin' AND disabled = false ORDER BY id FOR NO KEY UPDATE`;
        const [target] = await tx.$queryRaw<{ id: string; role: UserRole; disabled: boolean }[]>`
          SELECT id, role, disabled FROM users WHERE id = ${id}::uuid FOR NO KEY UPDATE`;
        // A refusal returns before any write: the transaction commits nothing and releases the locks.
        if (!target) return { kind: 'not-found' };
        if (!admins.some((admin) => admin.id === context.actorId)) return { kind: 'actor-not-admin' };
        const removesAdmin =
          target.role === 'admin' && !target.disabled && (changes.role === 'user' || changes.disabled === true);
        if (removesAdmin && target.id === context.actorId) return { kind: 'last-admin', reason: 'own-account' };
        if (removesAdmin && admins.length <= 1) return { kind: 'last-admin', reason: 'last-enabled-admin' };
        const row = await tx.user.update({ where: { id }, data: changes });
        for (const entry of auditEntries(target, row)) await this.audit.record(tx, context, entry);
        return { kind: 'updated', row };
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted },
    );
    if (outcome.kind !== 'updated') return outcome;
    // Every instance applies the change at the user's next request: disabling also ends every
    // session (refresh families and, through the session version, access tokens); a role change or
    // an enable only drops the cached identity.
    // The row's id (PostgreSQL's canonical form), never the caller's spelling of it: the cache,
    // the pub/sub message and the session store must all see the one spelling.
    if (outcome.row.disabled) await this.refreshTokens.revokeAllForUser(outcome.row.id, 'user_disabled');
    else await this.identities.invalidate(outcome.row.id);
    return { kind: 'updated', user: toPublicUser(outcome.row) };
  }

  /** Clears the lockout (Redis), then records it: a record only for an unlock that happened. */
  async unlock(id: string, context: AuditContext): Promise<AdminUnlockOutcome> {
    const user = await this.prisma.user.findUnique({ where: { id } });
    if (!user) return { kind: 'not-found' };
    try {
      await this.lockout.clear(user.email);
    } catch (error) {
      if (error instanceof LockoutUnavailableError) {
        return { kind: 'lockout-unavailable', retryAfterSeconds: error.retryAfterSeconds };
      }
      throw error;
    }
    await this.audit.record(this.prisma, context, { targetId: user.id, action: 'user.unlock' });
    return { kind: 'done' };
  }

  /** Revokes every refresh family of the user; the audit record is a statement of the same transaction. */
  async revokeSessions(id: string, context: AuditContext): Promise<AdminUserActionOutcome> {
    const user = await this.prisma.user.findUnique({ where: { id } });
    if (!user) return { kind: 'not-found' };
    await this.refreshTokens.revokeAllForUser(user.id, 'sessions_revoked', [
      this.audit.record(this.prisma, context, { targetId: user.id, action: 'user.revoke_sessions' }),
    ]);
    return { kind: 'done' };
  }
}

/** One record per changed aspect (a PATCH may change role and disabled at once); none for a no-op. */
function auditEntries(
  before: { id: string; role: UserRole; disabled: boolean },
  after: { role: UserRole; disabled: boolean },
): AuditEntry[] {
  const entries: AuditEntry[] = [];
  if (before.role !== after.role) {
    entries.push({
      targetId: before.id,
      action: 'user.role_change',
      before: { role: before.role },
      after: { role: after.role },
    });
  }
  if (before.disabled !== after.disabled) {
    entries.push({
      targetId: before.id,
      action: after.disabled ? 'user.disable' : 'user.enable',
      before: { disabled: before.disabled },
      after: { disabled: after.disabled },
    });
  }
  return entries;
}

import { Inject, Injectable } from '@nestjs/common';
import { PasswordHasher } from '../auth/credentials/password-hasher';
import { PrismaService } from '../../platform/database/prisma.service';
import { Prisma } from '../../generated/prisma/client';
import { UserIdentities } from '../auth/identity/user-identities';
import { LockoutService } from '../auth/lockout/lockout.service';
import { RefreshTokenService } from '../auth/tokens/refresh-token.service';
import {
  DuplicateEmailError,
  hashNewPassword,
  insertHashedUser,
  PublicUser,
  toPublicUser,
  UserRole,
  weakPasswordProblem,
} from '../users/user-records';
import { WeakPasswordError } from '../auth/credentials/password-strength';
import { ErrorCode, problem, ProblemException } from '../../platform/problems';
import { AdminAuditRepository, AuditContext, AuditEntry } from './audit/admin-audit.repository';

export function lastAdmin(detail: string): ProblemException {
  return problem(ErrorCode.LAST_ADMIN, detail);
}

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
   * 400 VALIDATION_FAILED (`password`) for a guessable password; 409 CONFLICT if the (normalized)
   * email is taken. The password is checked and hashed before the transaction opens.
   */
  async create(input: { email: string; password: string; role: UserRole }, context: AuditContext): Promise<PublicUser> {
    let passwordHash: string;
    try {
      passwordHash = await hashNewPassword(this.hasher, input.password, input.email);
    } catch (error) {
      if (error instanceof WeakPasswordError) throw weakPasswordProblem(error);
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
      return toPublicUser(user);
    } catch (error) {
      if (error instanceof DuplicateEmailError) {
        throw problem(ErrorCode.CONFLICT, 'A user with this email already exists.');
      }
      throw error;
    }
  }

  /**
   * Changes role and/or disabled. Refuses (409 LAST_ADMIN) to disable or demote the caller's own
   * account, or the last enabled admin. Race-safe: the transaction first locks (FOR NO KEY UPDATE) every enabled admin
   * row (in id order, so two of these cannot deadlock), then checks that the caller is still one of
   * them and that one would remain. Two admins demoting each other serialize on those locks, and
   * the second finds the first's change committed. Disabling ends every refresh family of the user.
   */
  async update(
    id: string,
    changes: { role?: UserRole; disabled?: boolean },
    context: AuditContext,
  ): Promise<PublicUser> {
    const updated = await this.prisma.$transaction(
      async (tx) => {
        const admins = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM users WHERE role = 'admin' AND disabled = false ORDER BY id FOR NO KEY UPDATE`;
        const [target] = await tx.$queryRaw<{ id: string; role: UserRole; disabled: boolean }[]>`
          SELECT id, role, disabled FROM users WHERE id = ${id}::uuid FOR NO KEY UPDATE`;
        if (!target) throw problem(ErrorCode.NOT_FOUND, 'No user with this id.');
        if (!admins.some((admin) => admin.id === context.actorId)) {
          throw problem(ErrorCode.FORBIDDEN, 'Your account is no longer an enabled admin.');
        }
        const removesAdmin =
          target.role === 'admin' && !target.disabled && (changes.role === 'user' || changes.disabled === true);
        if (removesAdmin && target.id === context.actorId) {
          throw lastAdmin('An admin cannot disable or demote their own account; ask another admin.');
        }
        if (removesAdmin && admins.length <= 1) {
          throw lastAdmin('This is the last enabled admin; promote or enable another admin first.');
        }
        const result = await tx.user.update({ where: { id }, data: changes });
        for (const entry of auditEntries(target, result)) await this.audit.record(tx, context, entry);
        return result;
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted },
    );
    // Every instance applies the change at the user's next request: disabling also ends every
    // session (refresh families and, through the session version, access tokens); a role change or
    // an enable only drops the cached identity.
    if (updated.disabled) await this.refreshTokens.revokeAllForUser(id, 'user_disabled');
    else await this.identities.invalidate(id);
    return toPublicUser(updated);
  }

  /** Clears the lockout (Redis), then records it: a record only for an unlock that happened. */
  async unlock(id: string, context: AuditContext): Promise<void> {
    const user = await this.prisma.user.findUnique({ where: { id } });
    if (!user) throw problem(ErrorCode.NOT_FOUND, 'No user with this id.');
    await this.lockout.clear(user.email);
    await this.audit.record(this.prisma, context, { targetId: id, action: 'user.unlock' });
  }

  /** Revokes every refresh family of the user; the audit record is a statement of the same transaction. */
  async revokeSessions(id: string, context: AuditContext): Promise<void> {
    const user = await this.prisma.user.findUnique({ where: { id } });
    if (!user) throw problem(ErrorCode.NOT_FOUND, 'No user with this id.');
    await this.refreshTokens.revokeAllForUser(id, 'sessions_revoked', [
      this.audit.record(this.prisma, context, { targetId: id, action: 'user.revoke_sessions' }),
    ]);
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

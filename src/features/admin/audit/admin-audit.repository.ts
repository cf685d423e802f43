import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../../platform/database/prisma.service';
import type { AdminAudit, Prisma } from '../../../generated/prisma/client';

/** The admin actions the trail records (the `action` column and filter). */
export const AUDIT_ACTIONS = [
  'user.create',
  'user.role_change',
  'user.disable',
  'user.enable',
  'user.unlock',
  'user.revoke_sessions',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did it and from where: the request id and the client IP by the TRUST_PROXY rules (request.ip). */
export interface AuditContext {
  actorId: string;
  requestId: string;
  clientIp: string;
}

/** Audited fields only: role, disabled, email. Never a password, hash or token. */
export type AuditSnapshot = { email?: string; role?: string; disabled?: boolean };

export interface AuditEntry {
  targetId: string;
  action: AuditAction;
  before?: AuditSnapshot | null;
  after?: AuditSnapshot | null;
}

export interface AuditFilter {
  actor?: string;
  target?: string;
  action?: AuditAction;
}

export interface AuditRecordView {
  id: string;
  at: string;
  actorId: string;
  targetId: string;
  action: string;
  before: unknown;
  after: unknown;
  requestId: string;
  clientIp: string;
}

type AuditWriter = Pick<Prisma.TransactionClient, 'adminAudit'>;

/**
 * The append-only admin_audit table. `record` takes the caller's transaction client, so the entry
 * commits or rolls back with the change it describes; nothing here updates or deletes (the table's
 * trigger would refuse it anyway).
 */
@Injectable()
export class AdminAuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  record(db: AuditWriter, context: AuditContext, entry: AuditEntry): Prisma.PrismaPromise<AdminAudit> {
    return db.adminAudit.create({
      data: {
        actorId: context.actorId,
        targetId: entry.targetId,
        action: entry.action,
        before: entry.before ?? undefined,
        after: entry.after ?? undefined,
        requestId: context.requestId.slice(0, 128),
        clientIp: context.clientIp.slice(0, 64),
      },
    });
  }

  /** Newest first; `beforeId` is the cursor (exclusive). Reads one extra row to know if more follow. */
  async list(
    filter: AuditFilter,
    limit: number,
    beforeId?: bigint,
  ): Promise<{ items: AuditRecordView[]; more: boolean }> {
    const rows = await this.prisma.adminAudit.findMany({
      where: {
        actorId: filter.actor,
        targetId: filter.target,
        action: filter.action,
        ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
    return { items: rows.slice(0, limit).map(toView), more: rows.length > limit };
  }
}

function toView(row: AdminAudit): AuditRecordView {
  return {
    id: row.id.toString(),
    at: row.at.toISOString(),
    actorId: row.actorId,
    targetId: row.targetId,
    action: row.action,
    before: row.before ?? null,
    after: row.after ?? null,
    requestId: row.requestId,
    clientIp: row.clientIp,
  };
}

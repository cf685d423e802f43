import { Injectable } from '@nestjs/common';
import { Payment } from '../../../generated/prisma/client';
import { PrismaService } from '../../../platform/database/prisma.service';

/** The `unknown` backlog: how many payments, and how long the oldest has waited (whole seconds). */
export interface PaymentBacklog {
  unknown: number;
  oldestUnknownSeconds: number;
}

/**
 * The reconciliation worker's reads and writes. Ownership of an unfinished payment is the same
 * lease a client request takes (idempotency_keys.locked_until), so a worker, a replaying client
 * and other instances' workers never work on one payment at once.
 */
@Injectable()
export class ReconciliationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Leases up to `limit` due `unknown` or `pending` payments (no live lease, backoff elapsed), oldest due first,
   * in one statement. FOR UPDATE SKIP LOCKED makes concurrent workers skip the rows another is
   * leasing at that moment instead of waiting for them (and re-checks the conditions on rows
   * changed meanwhile), so each payment goes to one worker only.
   */
  async leaseDue(now: Date, leaseMs: number, limit: number): Promise<Payment[]> {
    const until = new Date(now.getTime() + leaseMs);
    const leased = await this.prisma.$queryRaw<{ payment_id: string }[]>`
      UPDATE "idempotency_keys" AS k SET "locked_until" = ${until}
      WHERE k."payment_id" IN (
        SELECT p."id" FROM "payments" AS p
        JOIN "idempotency_keys" AS due ON due."payment_id" = p."id"
        WHERE p."status" IN ('unknown', 'pending')
          AND (due."locked_until" IS NULL OR due."locked_until" < ${now})
          AND (p."next_reconcile_at" IS NULL OR p."next_reconcile_at" <= ${now})
        ORDER BY p."next_reconcile_at" ASC NULLS FIRST, p."created_at" ASC
        LIMIT ${limit}
        FOR UPDATE OF due SKIP LOCKED
      )
      RETURNING k."payment_id"`;
    if (leased.length === 0) return [];
    const payments = await this.prisma.payment.findMany({ where: { id: { in: leased.map((r) => r.payment_id) } } });
    return payments.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /**
   * An attempt that did not settle this payment: count it, hold it back until `nextAt`, and end the
   * lease (the settlement already ended it when the provider answered; not when it was contradicted).
   */
  async recordAttempt(payment: Payment, nextAt: Date): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.payment.updateMany({
        where: { id: payment.id, status: { in: ['unknown', 'pending'] } },
        data: { reconcileAttempts: { increment: 1 }, nextReconcileAt: nextAt },
      }),
      this.prisma.idempotencyKey.updateMany({ where: { paymentId: payment.id }, data: { lockedUntil: null } }),
    ]);
  }

  /** Gives leases back without an attempt (the worker is stopping, or the breaker refused). */
  async releaseLeases(payments: Payment[]): Promise<void> {
    if (payments.length === 0) return;
    await this.prisma.idempotencyKey.updateMany({
      where: { paymentId: { in: payments.map((p) => p.id) } },
      data: { lockedUntil: null },
    });
  }

  async backlog(): Promise<PaymentBacklog> {
    const [row] = await this.prisma.$queryRaw<{ unknown: number; oldest: number | null }[]>`
      SELECT count(*)::int AS "unknown",
             floor(extract(epoch FROM (now() - min("created_at"))))::int AS "oldest"
      FROM "payments" WHERE "status" = 'unknown'`;
    return { unknown: row?.unknown ?? 0, oldestUnknownSeconds: Math.max(0, row?.oldest ?? 0) };
  }
}

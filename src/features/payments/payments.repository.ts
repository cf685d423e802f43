import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Payment, PaymentStatus, Prisma } from '../../generated/prisma/client';
import { PrismaService } from '../../platform/database/prisma.service';
import { isUniqueViolation } from '../../platform/database/unique-violation';
import type { CanonicalPaymentRequest } from './idempotency';
import { PaymentReceipt, receiptOf } from './payment-receipt';
import { PaymentTransition, ProviderReport, transitionFor } from './payment-transitions';

/**
 * What claiming an Idempotency-Key found. Only `owner` may call the provider; `fresh` says the
 * payment was created by this very claim (so the provider has never seen its key).
 */
export type Claim =
  | { kind: 'owner'; payment: Payment; fresh: boolean }
  | { kind: 'replay'; status: number; body: PaymentReceipt }
  | { kind: 'other-body' }
  | { kind: 'in-progress' };

/** Every column of `payments`, named as the Payment model's fields (raw reads return the model's shape). */
export const PAYMENT_COLUMNS = `id, user_id AS "userId", amount, currency, recipient_id AS "recipientId", reference,
  status, provider_charge_id AS "providerChargeId", idempotency_key AS "idempotencyKey",
  provider_key AS "providerKey", reconcile_attempts AS "reconcileAttempts",
  next_reconcile_at AS "nextReconcileAt", failure_reason AS "failureReason",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** A payment by id, limited to its owner unless $2 is null (an admin's read). */
const FIND_PAYMENT_SQL = `SELECT ${PAYMENT_COLUMNS}
  FROM payments WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid)`;

/** A report applied to a payment: what it did, and the payment as it is now. */
export interface RecordedReport {
  transition: PaymentTransition;
  payment: Payment;
}

/**
 * Applies `transition` to the locked `payment` inside `tx`. A charge id that already backs another
 * payment turns the transition into a conflict (checked under the row lock; the unique index is the
 * last word). The stored answer of the payment's Idempotency-Key is filled in when it has none yet
 * (a replay then answers at once); `releaseLease` also ends the caller's lease.
 */
export async function applyTransition(
  tx: Prisma.TransactionClient,
  payment: Payment,
  transition: PaymentTransition,
  releaseLease: boolean,
): Promise<RecordedReport> {
  let current = payment;
  let applied = transition;
  if (transition.kind === 'apply' && transition.providerChargeId !== null) {
    const other = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM payments WHERE provider_charge_id = ${transition.providerChargeId} AND id <> ${payment.id}::uuid`;
    if (other.length > 0) applied = { kind: 'conflict', why: 'the charge already backs another payment' };
  }
  if (applied.kind === 'apply') {
    current = await tx.payment.update({
      where: { id: payment.id },
      data: {
        status: applied.status,
        providerChargeId: applied.providerChargeId,
        failureReason: applied.failureReason,
      },
    });
  }
  if (applied.kind !== 'conflict' && current.status !== PaymentStatus.unknown) {
    const receipt = JSON.stringify(receiptOf(current));
    await tx.$executeRaw`
      UPDATE idempotency_keys SET
        response_status = COALESCE(response_status, 201),
        response_body = COALESCE(response_body, ${receipt}::jsonb),
        locked_until = CASE WHEN ${releaseLease}::boolean THEN NULL ELSE locked_until END,
        updated_at = now()
      WHERE payment_id = ${payment.id}::uuid`;
  } else if (releaseLease) {
    await tx.idempotencyKey.updateMany({ where: { paymentId: payment.id }, data: { lockedUntil: null } });
  }
  return { transition: applied, payment: current };
}

/** The answer a stored key gives by itself: another body, or a finished response. */
function settledClaim(
  record: { requestHash: string; responseStatus: number | null; responseBody: unknown },
  hash: string,
): Claim | undefined {
  if (record.requestHash !== hash) return { kind: 'other-body' };
  if (record.responseStatus !== null && record.responseBody !== null) {
    return { kind: 'replay', status: record.responseStatus, body: record.responseBody as unknown as PaymentReceipt };
  }
  return undefined;
}

/**
 * Payments and their idempotency records. The guarantee that one key makes one payment and one
 * provider call is the database's: the primary key (user_id, key) of idempotency_keys and the
 * unique (user_id, idempotency_key) of payments, plus a lease (locked_until) taken with a
 * conditional UPDATE, so exactly one request (or reconciliation worker) at a time owns an
 * unfinished payment. The provider key is the payment's own id, so two users' keys never meet
 * at the provider.
 */
@Injectable()
export class PaymentsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async claim(
    userId: string,
    key: string,
    hash: string,
    request: CanonicalPaymentRequest,
    leaseMs: number,
  ): Promise<Claim> {
    const id = randomUUID();
    try {
      // One statement batch in one transaction: the payment and its key exist together or not at all.
      const payment = await this.prisma.payment.create({
        data: {
          ...request,
          id,
          providerKey: id,
          userId,
          idempotencyKey: key,
          status: PaymentStatus.unknown,
          idempotency: {
            create: { userId, key, requestHash: hash, lockedUntil: new Date(Date.now() + leaseMs) },
          },
        },
      });
      return { kind: 'owner', payment, fresh: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    return this.claimExisting(userId, key, hash, leaseMs);
  }

  /**
   * What a key already answers, without claiming anything (one read): used while the provider's
   * breaker refuses new calls, when no new payment may start but a finished one must still replay.
   */
  async settled(userId: string, key: string, hash: string): Promise<Claim | undefined> {
    const record = await this.prisma.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
    return record ? settledClaim(record, hash) : undefined;
  }

  private async claimExisting(userId: string, key: string, hash: string, leaseMs: number): Promise<Claim> {
    const record = await this.prisma.idempotencyKey.findUnique({
      where: { userId_key: { userId, key } },
      include: { payment: true },
    });
    // The unique violation means a committed row exists (or existed: an abandoned claim is deleted).
    if (!record) return { kind: 'in-progress' };
    const settled = settledClaim(record, hash);
    if (settled) return settled;
    // Unfinished (outcome unknown, or its owner died): take it over only if no one holds the lease.
    const now = new Date();
    const taken = await this.prisma.idempotencyKey.updateMany({
      where: { userId, key, responseStatus: null, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      data: { lockedUntil: new Date(now.getTime() + leaseMs) },
    });
    return taken.count === 1 ? { kind: 'owner', payment: record.payment, fresh: false } : { kind: 'in-progress' };
  }

  /**
   * The provider said something about this payment (the caller holds its lease): decides under the
   * row lock what it changes (transitionFor), records it and the answer replays will get, and ends
   * the lease. A concurrent webhook may have settled the payment meanwhile; the rule then keeps it.
   */
  async record(paymentId: string, report: ProviderReport): Promise<RecordedReport> {
    try {
      return await this.recordOnce(paymentId, report);
    } catch (error) {
      // A charge attached to another payment between our check and our update: the check now sees it.
      if (!isUniqueViolation(error)) throw error;
      return this.recordOnce(paymentId, report);
    }
  }

  private recordOnce(paymentId: string, report: ProviderReport): Promise<RecordedReport> {
    return this.prisma.$transaction(async (tx) => {
      const [payment] = await tx.$queryRawUnsafe<Payment[]>(
        `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1::uuid FOR UPDATE`,
        paymentId,
      );
      if (!payment) throw new Error(`payment ${paymentId} vanished while its lease was held`);
      return applyTransition(tx, payment, transitionFor(payment, report), true);
    });
  }

  /**
   * The provider was never called for this freshly created payment (breaker or bulkhead refused):
   * remove it and its key, as if the request had not happened, so the refusal (503) is the whole
   * truth and a retry with the same key starts over. The gateway's role may not DELETE payments:
   * the owner's function does it, and only while the payment has never been anything but
   * `unknown` (no charge, no stored answer, no reconciliation attempt; see its migration).
   */
  async abandon(payment: Payment): Promise<void> {
    await this.prisma.$queryRaw`SELECT gateway_discard_unsent_payment(${payment.id}::uuid)`;
  }

  /**
   * No definitive answer: give up the lease at once so a replay can ask the provider again.
   * `quietUntil`: the reconciler does not ask about it before then (a call of ours may still be
   * under way at the provider, so "no charge yet" would not mean "never charged").
   */
  async release(payment: Payment, quietUntil?: Date): Promise<void> {
    // Lock order: the payment row before its key, as every transaction that changes both takes
    // them (a webhook or a provider answer: SELECT ... FOR UPDATE on the payment, then its key).
    // The other order deadlocks against a webhook settling the same payment.
    await this.prisma.$transaction([
      ...(quietUntil
        ? [
            this.prisma.payment.updateMany({
              where: {
                id: payment.id,
                status: PaymentStatus.unknown,
                OR: [{ nextReconcileAt: null }, { nextReconcileAt: { lt: quietUntil } }],
              },
              data: { nextReconcileAt: quietUntil },
            }),
          ]
        : []),
      this.prisma.idempotencyKey.updateMany({ where: { paymentId: payment.id }, data: { lockedUntil: null } }),
    ]);
  }

  /**
   * One page of a user's payments, newest first (created_at, then id, both descending), strictly
   * after `after` when given. Reads `limit + 1` rows so the caller knows whether a next page exists.
   */
  async list(
    userId: string,
    filter: { status?: PaymentStatus; after?: { createdAt: Date; id: string }; limit: number },
  ): Promise<Payment[]> {
    const after = filter.after;
    return this.prisma.payment.findMany({
      where: {
        userId,
        ...(filter.status ? { status: filter.status } : {}),
        ...(after
          ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit + 1,
    });
  }

  /**
   * The payment if `userId` owns it (or `any` is set, for admins); undefined otherwise. The hot
   * read (`GET /v1/payments/:id`): one parameterised statement on the pool, not through Prisma's
   * query compiler, which costs more CPU per call than the rest of the request (see
   * docs/performance.md). The row is the Payment model's shape. In session pool mode it is a named
   * statement, parsed and planned once per connection instead of on every read.
   */
  async find(id: string, userId: string, any: boolean): Promise<Payment | undefined> {
    const values = [id, any ? null : userId];
    const { rows } = await this.prisma.pool.query<Payment>(
      this.prisma.namedStatements
        ? { name: 'payments_find', text: FIND_PAYMENT_SQL, values }
        : { text: FIND_PAYMENT_SQL, values },
    );
    return rows[0];
  }
}

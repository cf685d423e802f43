import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Payment, PaymentStatus, Prisma } from '../../generated/prisma/client';
import { PrismaService } from '../../platform/database/prisma.service';
import { isUniqueViolation } from '../../platform/database/unique-violation';
import type { CanonicalPaymentRequest } from './idempotency';
import type { PaymentView } from './dto/payment.view';

/**
 * What claiming an Idempotency-Key found. Only `owner` may call the provider; `fresh` says the
 * payment was created by this very claim (so the provider has never seen its key).
 */
export type Claim =
  | { kind: 'owner'; payment: Payment; fresh: boolean }
  | { kind: 'replay'; status: number; body: PaymentView }
  | { kind: 'other-body' }
  | { kind: 'in-progress' };

/** The provider's charge id already backs another payment: it is never attached to a second one. */
export class ChargeBacksAnotherPaymentError extends Error {
  constructor() {
    super('the charge already backs another payment');
    this.name = 'ChargeBacksAnotherPaymentError';
  }
}

export interface PaymentUpdate {
  status: PaymentStatus;
  providerChargeId: string | null;
}

/** A payment by id, limited to its owner unless $2 is null (an admin's read). */
const FIND_PAYMENT_SQL = `SELECT id, user_id AS "userId", amount, currency, recipient_id AS "recipientId", reference,
  status, provider_charge_id AS "providerChargeId", idempotency_key AS "idempotencyKey",
  provider_key AS "providerKey", reconcile_attempts AS "reconcileAttempts",
  next_reconcile_at AS "nextReconcileAt", created_at AS "createdAt", updated_at AS "updatedAt"
  FROM payments WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2::uuid)`;

/** The answer a stored key gives by itself: another body, or a finished response. */
function settledClaim(
  record: { requestHash: string; responseStatus: number | null; responseBody: unknown },
  hash: string,
): Claim | undefined {
  if (record.requestHash !== hash) return { kind: 'other-body' };
  if (record.responseStatus !== null && record.responseBody !== null) {
    return { kind: 'replay', status: record.responseStatus, body: record.responseBody as unknown as PaymentView };
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
   * The provider gave a definitive answer: record it and the response every replay will get.
   * Throws ChargeBacksAnotherPaymentError (and records nothing) when the charge id already backs
   * another payment: a charge is never attached to two payments.
   */
  async complete(
    payment: Payment,
    update: PaymentUpdate,
    responseStatus: number,
    toView: (payment: Payment) => PaymentView,
  ): Promise<PaymentView> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const updated = await tx.payment.update({ where: { id: payment.id }, data: update });
        const view = toView(updated);
        await tx.idempotencyKey.update({
          where: { paymentId: payment.id },
          data: { responseStatus, responseBody: view as unknown as Prisma.InputJsonObject, lockedUntil: null },
        });
        return view;
      });
    } catch (error) {
      if (isUniqueViolation(error) && update.providerChargeId !== null) throw new ChargeBacksAnotherPaymentError();
      throw error;
    }
  }

  /**
   * The provider was never called for this freshly created payment (breaker or bulkhead refused):
   * remove it and its key, as if the request had not happened, so the refusal (503) is the whole
   * truth and a retry with the same key starts over. Only while it is still `unknown`.
   */
  async abandon(payment: Payment): Promise<void> {
    await this.prisma.payment.deleteMany({ where: { id: payment.id, status: PaymentStatus.unknown } });
  }

  /** No definitive answer: give up the lease at once so a replay can ask the provider again. */
  async release(payment: Payment): Promise<void> {
    await this.prisma.idempotencyKey.update({ where: { paymentId: payment.id }, data: { lockedUntil: null } });
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
    const { rows } = await this.prisma.pool.query<Payment>({
      ...(this.prisma.namedStatements ? { name: 'payments_find' } : {}),
      text: FIND_PAYMENT_SQL,
      values: [id, any ? null : userId],
    });
    return rows[0];
  }
}

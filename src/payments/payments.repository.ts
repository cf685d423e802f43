import { Injectable } from '@nestjs/common';
import { Payment, PaymentStatus, Prisma } from '../generated/prisma/client';
import { PrismaService } from '../database/prisma.service';
import { isUniqueViolation } from '../database/unique-violation';
import type { CanonicalPaymentRequest } from './idempotency';
import type { PaymentView } from './dto/payment.view';

/** What claiming an Idempotency-Key found. Only `owner` may call the provider. */
export type Claim =
  | { kind: 'owner'; payment: Payment }
  | { kind: 'replay'; status: number; body: PaymentView }
  | { kind: 'other-body' }
  | { kind: 'in-progress' }
  | { kind: 'provider-key-collision' };

/** Response status recorded when the provider answered with a charge that already backs another payment. */
export const PROVIDER_KEY_COLLISION_STATUS = 409;

/** The answer a stored key gives by itself: another body, a collision, or a finished response. */
function settledClaim(
  record: { requestHash: string; responseStatus: number | null; responseBody: unknown },
  hash: string,
): Claim | undefined {
  if (record.requestHash !== hash) return { kind: 'other-body' };
  if (record.responseStatus === PROVIDER_KEY_COLLISION_STATUS) return { kind: 'provider-key-collision' };
  if (record.responseStatus !== null && record.responseBody !== null) {
    return { kind: 'replay', status: record.responseStatus, body: record.responseBody as unknown as PaymentView };
  }
  return undefined;
}

/**
 * Payments and their idempotency records. The guarantee that one key makes one payment and one
 * provider call is the database's: the primary key (user_id, key) of idempotency_keys and the
 * unique (user_id, idempotency_key) of payments, plus a lease (locked_until) taken with a
 * conditional UPDATE, so exactly one request at a time owns an unfinished key.
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
    try {
      // One statement batch in one transaction: the payment and its key exist together or not at all.
      const payment = await this.prisma.payment.create({
        data: {
          ...request,
          userId,
          idempotencyKey: key,
          status: PaymentStatus.unknown,
          idempotency: {
            create: { userId, key, requestHash: hash, lockedUntil: new Date(Date.now() + leaseMs) },
          },
        },
      });
      return { kind: 'owner', payment };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    return this.claimExisting(userId, key, hash, leaseMs);
  }

  /**
   * What a key already answers, without claiming anything (one read): used while the provider's
   * breaker is open, when no new payment may start but a finished one must still replay.
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
    // The unique violation means a committed row exists; it is never deleted while its user exists.
    if (!record) return { kind: 'in-progress' };
    const settled = settledClaim(record, hash);
    if (settled) return settled;
    // Unfinished (outcome unknown, or its owner died): take it over only if no one holds the lease.
    const now = new Date();
    const taken = await this.prisma.idempotencyKey.updateMany({
      where: { userId, key, responseStatus: null, OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      data: { lockedUntil: new Date(now.getTime() + leaseMs) },
    });
    return taken.count === 1 ? { kind: 'owner', payment: record.payment } : { kind: 'in-progress' };
  }

  /**
   * The provider gave a definitive answer: record it and the response every replay will get.
   * Returns undefined when the provider's charge id already backs another payment (the provider
   * deduplicated our key against another user's request): this payment is then recorded `failed`
   * with no charge, and the key answers 409 from now on.
   */
  async complete(
    payment: Payment,
    update: { status: PaymentStatus; providerChargeId: string | null },
    responseStatus: number,
    toView: (payment: Payment) => PaymentView,
  ): Promise<PaymentView | undefined> {
    try {
      return await this.record(payment, update, responseStatus, toView);
    } catch (error) {
      if (!isUniqueViolation(error) || update.providerChargeId === null) throw error;
    }
    await this.record(
      payment,
      { status: PaymentStatus.failed, providerChargeId: null },
      PROVIDER_KEY_COLLISION_STATUS,
      toView,
    );
    return undefined;
  }

  /** Writes the payment's outcome and the answer every replay of its key will get, together. */
  private record(
    payment: Payment,
    update: { status: PaymentStatus; providerChargeId: string | null },
    responseStatus: number,
    toView: (payment: Payment) => PaymentView,
  ): Promise<PaymentView> {
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.payment.update({ where: { id: payment.id }, data: update });
      const view = toView(updated);
      await tx.idempotencyKey.update({
        where: { paymentId: payment.id },
        data: { responseStatus, responseBody: view as unknown as Prisma.InputJsonObject, lockedUntil: null },
      });
      return view;
    });
  }

  /** No definitive answer: give up the lease at once so a replay can ask the provider again. */
  async release(payment: Payment): Promise<void> {
    await this.prisma.idempotencyKey.update({ where: { paymentId: payment.id }, data: { lockedUntil: null } });
  }

  /** The payment if `userId` owns it (or `any` is set, for admins); undefined otherwise. */
  async find(id: string, userId: string, any: boolean): Promise<Payment | undefined> {
    const payment = await this.prisma.payment.findFirst({ where: any ? { id } : { id, userId } });
    return payment ?? undefined;
  }
}

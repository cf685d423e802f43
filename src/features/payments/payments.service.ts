import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProviderResilience } from './resilience/provider-resilience';
import { resilienceConfig } from './resilience/resilience.config';
import { Payment, PaymentStatus } from '../../generated/prisma/client';
import { PaymentCursor } from './payment-cursor';
import { canonicalRequest, PaymentRequest, requestHash } from './idempotency';
import type { PaymentCreation } from './payment-outcomes';
import { receiptOf } from './payment-receipt';
import { paymentLeaseMs } from './payment-lease';
import { PaymentSettlement } from './payment-settlement';
import { PaymentsRepository } from './payments.repository';

export interface PaymentActor {
  id: string;
  role: 'user' | 'admin';
}

/** What a listing asks for (the HTTP edge has validated and decoded it). */
export interface PaymentListing {
  userId?: string;
  status?: PaymentStatus;
  after?: PaymentCursor;
  limit: number;
}

/** One page of payments, and whether another follows. */
export interface PaymentPage {
  items: Payment[];
  more: boolean;
}

@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);
  /** How long one request owns a key: longer than the slowest provider call (all attempts and waits). */
  private readonly leaseMs: number;

  constructor(
    @Inject(resilienceConfig.KEY) policies: ConfigType<typeof resilienceConfig>,
    private readonly payments: PaymentsRepository,
    private readonly settlement: PaymentSettlement,
    private readonly resilience: ProviderResilience,
  ) {
    this.leaseMs = paymentLeaseMs(policies);
  }

  /**
   * Creates (or replays) the payment for this user's Idempotency-Key. Only the request that owns
   * the payment calls the provider, always with the payment's own provider key, so the provider
   * never charges it twice and never confuses it with another user's payment.
   */
  async create(actor: PaymentActor, idempotencyKey: string, body: PaymentRequest): Promise<PaymentCreation> {
    const request = canonicalRequest(body);
    const hash = requestHash(request);
    // While the breaker refuses calls no charge can start: answer CIRCUIT_OPEN after one read (a
    // finished key still replays) instead of inserting a payment only to remove it. Once the
    // half-open delay has passed the request goes on and becomes the probe.
    const claim = this.resilience.admitsNewCall()
      ? await this.payments.claim(actor.id, idempotencyKey, hash, request, this.leaseMs)
      : await this.payments.settled(actor.id, idempotencyKey, hash);
    if (!claim) {
      this.resilience.refuseWhileOpen();
      return this.trouble('circuit-open');
    }
    switch (claim.kind) {
      case 'other-body':
        return { kind: 'key-reused-with-another-body' };
      case 'in-progress':
        return { kind: 'key-in-progress' };
      case 'replay':
        return { kind: 'replayed', httpStatus: claim.status, receipt: claim.body };
      case 'owner': {
        const result = await this.settlement.charge(claim.payment, claim.fresh);
        switch (result.kind) {
          case 'settled':
          case 'still-pending':
            return { kind: 'charged', receipt: receiptOf(result.payment) };
          case 'unsettled':
            this.logger.warn(`Payment ${claim.payment.id}: charge outcome unknown (${result.trouble})`);
            return this.trouble(result.trouble);
          case 'contradicted':
            return this.trouble('contradicted');
          case 'abandoned':
            return this.trouble(result.trouble);
        }
      }
    }
  }

  private trouble(trouble: Extract<PaymentCreation, { kind: 'provider-trouble' }>['trouble']): PaymentCreation {
    return trouble === 'circuit-open'
      ? { kind: 'provider-trouble', trouble, retryAfterSeconds: this.resilience.retryAfterSeconds() }
      : { kind: 'provider-trouble', trouble };
  }

  /**
   * The caller's payments (or, for an admin, the named user's), newest first. The edge refuses a
   * user naming someone else before it gets here.
   */
  async list(actor: PaymentActor, listing: PaymentListing): Promise<PaymentPage> {
    const rows = await this.payments.list(listing.userId ?? actor.id, {
      status: listing.status,
      after: listing.after,
      limit: listing.limit,
    });
    return { items: rows.slice(0, listing.limit), more: rows.length > listing.limit };
  }

  /** The payment if the actor may see it (owner or admin); someone else's is the same as none. */
  findOne(actor: PaymentActor, id: string): Promise<Payment | undefined> {
    return this.payments.find(id, actor.id, actor.role === 'admin');
  }
}

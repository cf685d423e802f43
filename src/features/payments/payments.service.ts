import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ProviderResilience } from './resilience/provider-resilience';
import { resilienceConfig } from './resilience/resilience.config';
import { ErrorCode, problem } from '../../platform/problems';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { ListPaymentsQuery } from './dto/list-payments.query';
import { PaymentPageView } from './dto/payment-page.view';
import { PaymentView, toPaymentView } from './dto/payment.view';
import { PaymentStatus } from '../../generated/prisma/client';
import { decodePaymentCursor, encodePaymentCursor } from './payment-cursor';
import { canonicalRequest, idempotencyProblems, requestHash } from './idempotency';
import { paymentLeaseMs } from './payment-lease';
import { PaymentSettlement } from './payment-settlement';
import { PaymentsRepository } from './payments.repository';

export interface PaymentActor {
  id: string;
  role: 'user' | 'admin';
}

export interface CreatedPayment {
  /** HTTP status to answer (the first answer's, on a replay). */
  status: number;
  body: PaymentView;
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
  async create(actor: PaymentActor, idempotencyKey: string, body: CreatePaymentDto): Promise<CreatedPayment> {
    const request = canonicalRequest(body);
    const hash = requestHash(request);
    // While the breaker refuses calls no charge can start: answer CIRCUIT_OPEN after one read (a
    // finished key still replays) instead of inserting a payment only to remove it. Once the
    // half-open delay has passed the request goes on and becomes the probe.
    const claim = this.resilience.admitsNewCall()
      ? await this.payments.claim(actor.id, idempotencyKey, hash, request, this.leaseMs)
      : ((await this.payments.settled(actor.id, idempotencyKey, hash)) ?? this.resilience.circuitOpen());
    switch (claim.kind) {
      case 'other-body':
        throw idempotencyProblems.otherBody();
      case 'in-progress':
        throw idempotencyProblems.inProgress();
      case 'replay':
        return { status: claim.status, body: claim.body };
      case 'owner': {
        const result = await this.settlement.settle(claim.payment, claim.fresh);
        if (result.kind === 'settled') return { status: HttpStatus.CREATED, body: result.view };
        if (result.kind === 'unknown') {
          this.logger.warn(`Payment ${claim.payment.id}: charge outcome unknown (${result.reason})`);
        }
        throw result.problem;
      }
    }
  }

  /**
   * The caller's payments, newest first (admins may name another user). A user naming someone
   * else is refused (403), not silently shown their own list.
   */
  async list(actor: PaymentActor, query: ListPaymentsQuery): Promise<PaymentPageView> {
    const userId = query.userId?.toLowerCase() ?? actor.id;
    if (userId !== actor.id && actor.role !== 'admin') {
      throw problem(ErrorCode.FORBIDDEN, 'Only admins may list the payments of another user (userId).');
    }
    const after = query.cursor === undefined ? undefined : decodePaymentCursor(query.cursor);
    const rows = await this.payments.list(userId, {
      status: query.status ? PaymentStatus[query.status] : undefined,
      after,
      limit: query.limit,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toPaymentView),
      nextCursor: rows.length > query.limit && last ? encodePaymentCursor(last) : null,
    };
  }

  async findOne(actor: PaymentActor, id: string): Promise<PaymentView> {
    const payment = await this.payments.find(id, actor.id, actor.role === 'admin');
    // Someone else's payment is indistinguishable from a missing one.
    if (!payment) throw problem(ErrorCode.NOT_FOUND, 'No such payment.');
    return toPaymentView(payment);
  }
}

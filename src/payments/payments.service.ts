import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Payment, PaymentStatus } from '../generated/prisma/client';
import { ProviderResilience, RETRY_MAX_DELAY_MS } from '../resilience/provider-resilience';
import { resilienceConfig } from '../resilience/resilience.config';
import { ErrorCode, problem } from '../problems';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { PaymentView, toPaymentView } from './dto/payment.view';
import { canonicalRequest, idempotencyProblems, requestHash } from './idempotency';
import { PaymentsRepository } from './payments.repository';
import { ChargeOutcome, PAYMENT_PROVIDER, PaymentProvider } from './provider/payment-provider';

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
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly resilience: ProviderResilience,
  ) {
    const attempts = policies.retries + 1;
    this.leaseMs = attempts * policies.timeoutMs + policies.retries * RETRY_MAX_DELAY_MS + 10_000;
  }

  /**
   * Creates (or replays) the payment for this user's Idempotency-Key. Only the request that owns
   * the key calls the provider, with the same key every time, so the provider never charges twice.
   */
  async create(actor: PaymentActor, idempotencyKey: string, body: CreatePaymentDto): Promise<CreatedPayment> {
    const request = canonicalRequest(body);
    const hash = requestHash(request);
    // While the breaker is open no charge can start: answer CIRCUIT_OPEN after one read (a finished
    // key still replays), instead of inserting a payment only to release it.
    const claim =
      this.resilience.state === 'open'
        ? ((await this.payments.settled(actor.id, idempotencyKey, hash)) ?? this.resilience.circuitOpen())
        : await this.payments.claim(actor.id, idempotencyKey, hash, request, this.leaseMs);
    switch (claim.kind) {
      case 'other-body':
        throw idempotencyProblems.otherBody();
      case 'in-progress':
        throw idempotencyProblems.inProgress();
      case 'provider-key-collision':
        throw idempotencyProblems.providerKeyCollision();
      case 'replay':
        return { status: claim.status, body: claim.body };
      case 'owner':
        return { status: HttpStatus.CREATED, body: await this.charge(claim.payment, idempotencyKey) };
    }
  }

  async findOne(actor: PaymentActor, id: string): Promise<PaymentView> {
    const payment = await this.payments.find(id, actor.id, actor.role === 'admin');
    // Someone else's payment is indistinguishable from a missing one.
    if (!payment) throw problem(ErrorCode.NOT_FOUND, 'No such payment.');
    return toPaymentView(payment);
  }

  private async charge(payment: Payment, idempotencyKey: string): Promise<PaymentView> {
    let outcome: ChargeOutcome;
    try {
      outcome = await this.provider.charge(
        {
          amount: payment.amount,
          currency: payment.currency,
          recipientId: payment.recipientId,
          reference: payment.reference,
        },
        idempotencyKey,
      );
    } catch (error) {
      const problem = this.resilience.toProblem(error);
      if (!problem) throw error; // unexpected: the lease expires and a replay resolves it
      // Outcome unknown: the payment stays `unknown`, never lost; a replay with the same key asks
      // the provider again, which dedupes by key, so it is never charged twice.
      await this.payments.release(payment);
      this.logger.warn(`Payment ${payment.id}: charge outcome unknown (${problem.code})`);
      throw problem;
    }
    const update =
      outcome.kind === 'charged'
        ? { status: PaymentStatus[outcome.status], providerChargeId: outcome.chargeId }
        : { status: PaymentStatus.failed, providerChargeId: null };
    if (outcome.kind === 'refused') {
      this.logger.log(`Payment ${payment.id}: the provider refused the charge (HTTP ${outcome.httpStatus})`);
    }
    const view = await this.payments.complete(payment, update, HttpStatus.CREATED, toPaymentView);
    if (!view) {
      this.logger.error(`Payment ${payment.id}: the provider answered with a charge that backs another payment`);
      throw idempotencyProblems.providerKeyCollision();
    }
    return view;
  }
}

import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { Payment, PaymentStatus } from '../../generated/prisma/client';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { ProviderResilience, upstreamNotCalled } from './resilience/provider-resilience';
import { UpstreamUnavailableError } from './resilience/upstream-errors';
import type { ProblemException } from '../../platform/problems';
import { chargeMismatch } from './charge-match';
import { PaymentView, toPaymentView } from './dto/payment.view';
import { ChargeBacksAnotherPaymentError, PaymentsRepository } from './payments.repository';
import { ChargeOutcome, PAYMENT_PROVIDER, PaymentProvider } from './provider/payment-provider';

/** How one attempt to settle a payment with the provider ended. */
export type Settlement =
  /** A definitive answer, recorded: the payment is `succeeded`, `pending` or `failed` now. */
  | { kind: 'settled'; view: PaymentView }
  /** No usable answer: the payment stays `unknown` (lease released) and will be asked again. */
  | { kind: 'unknown'; problem: ProblemException; reason: string }
  /** The provider was never called for a payment created by this very request: it was removed. */
  | { kind: 'abandoned'; problem: ProblemException };

/**
 * Asks the provider about one payment the caller owns (holds the lease of), with the payment's own
 * provider key, and records the answer if, and only if, it is a definitive answer about THIS
 * payment. Shared by POST /v1/payments and the reconciliation worker, so both settle alike.
 */
@Injectable()
export class PaymentSettlement {
  private readonly logger = new Logger('PaymentSettlement');

  constructor(
    private readonly payments: PaymentsRepository,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly resilience: ProviderResilience,
    private readonly metrics: MetricsService,
  ) {}

  /** `fresh`: the payment was created by the caller's claim, so the provider has never seen its key. */
  async settle(payment: Payment, fresh: boolean): Promise<Settlement> {
    let outcome: ChargeOutcome;
    try {
      outcome = await this.provider.charge(
        {
          amount: payment.amount,
          currency: payment.currency,
          recipientId: payment.recipientId,
          reference: payment.reference,
        },
        payment.providerKey,
      );
    } catch (error) {
      const problem = this.resilience.toProblem(error);
      if (!problem) throw error; // unexpected: the lease expires and a replay or reconciliation resolves it
      if (fresh && upstreamNotCalled(error)) {
        await this.payments.abandon(payment);
        return { kind: 'abandoned', problem };
      }
      // Outcome unknown: the payment stays `unknown`, never lost; asking again with the same
      // provider key is safe because the provider dedupes by key, so it is never charged twice.
      await this.payments.release(payment);
      this.metrics.paymentStatus(PaymentStatus.unknown);
      return { kind: 'unknown', problem, reason: problem.code };
    }

    if (outcome.kind === 'refused') {
      this.logger.log(`Payment ${payment.id}: the provider refused the charge (HTTP ${outcome.httpStatus})`);
      const view = await this.payments.complete(
        payment,
        { status: PaymentStatus.failed, providerChargeId: null },
        HttpStatus.CREATED,
        toPaymentView,
      );
      this.metrics.paymentStatus(PaymentStatus.failed);
      return { kind: 'settled', view };
    }

    const mismatch = chargeMismatch(payment, outcome.echo);
    if (mismatch) return this.untrusted(payment, `the provider's answer names another ${mismatch}`);
    try {
      const view = await this.payments.complete(
        payment,
        { status: PaymentStatus[outcome.status], providerChargeId: outcome.chargeId },
        HttpStatus.CREATED,
        toPaymentView,
      );
      this.metrics.paymentStatus(PaymentStatus[outcome.status]);
      return { kind: 'settled', view };
    } catch (error) {
      if (!(error instanceof ChargeBacksAnotherPaymentError)) throw error;
      return this.untrusted(payment, 'the provider answered with a charge that backs another payment');
    }
  }

  /**
   * The provider answered, but not about this payment. Never attach that charge, never call the
   * payment `succeeded` or `failed` on its word: it stays `unknown` (visible in the readiness
   * backlog), is logged for an operator, and is asked again later (with backoff).
   */
  private async untrusted(payment: Payment, why: string): Promise<Settlement> {
    this.logger.error(`Payment ${payment.id}: ${why}; left unknown for an operator`);
    await this.payments.release(payment);
    const problem = this.resilience.toProblem(new UpstreamUnavailableError('payment provider', why))!;
    return { kind: 'unknown', problem, reason: 'PROVIDER_ANSWER_MISMATCH' };
  }
}

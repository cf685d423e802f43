import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Payment, PaymentStatus } from '../../generated/prisma/client';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { ProviderResilience, upstreamNotCalled } from './resilience/provider-resilience';
import type { SettlementOutcome } from './payment-outcomes';
import { paymentLeaseMs } from './payment-lease';
import { resilienceConfig } from './resilience/resilience.config';
import type { ProviderReport } from './payment-transitions';
import { PaymentsRepository } from './payments.repository';
import { PAYMENT_PROVIDER, PaymentProvider } from './provider/payment-provider';

/**
 * Asks the provider about one payment the caller owns (holds the lease of), with the payment's own
 * provider key, and records the answer if, and only if, it is a definitive answer about THIS
 * payment (payment-transitions.ts). `charge` is POST /charges (a client's request or replay);
 * `query` is the status query the reconciler uses, which never charges.
 */
@Injectable()
export class PaymentSettlement {
  private readonly logger = new Logger('PaymentSettlement');
  /** How long after an unanswered charge a call of ours may still land at the provider. */
  private readonly leaseMs: number;

  constructor(
    @Inject(resilienceConfig.KEY) policies: ConfigType<typeof resilienceConfig>,
    private readonly payments: PaymentsRepository,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly resilience: ProviderResilience,
    private readonly metrics: MetricsService,
  ) {
    this.leaseMs = paymentLeaseMs(policies);
  }

  /** `fresh`: the payment was created by the caller's claim, so the provider has never seen its key. */
  async charge(payment: Payment, fresh: boolean): Promise<SettlementOutcome> {
    let report: ProviderReport;
    try {
      const outcome = await this.provider.charge(
        {
          amount: payment.amount,
          currency: payment.currency,
          recipientId: payment.recipientId,
          reference: payment.reference,
        },
        payment.providerKey,
      );
      if (outcome.kind === 'refused') {
        this.logger.log(`Payment ${payment.id}: the provider refused the charge (HTTP ${outcome.httpStatus})`);
        report = { kind: 'refused' };
      } else {
        report = { kind: 'charge', chargeId: outcome.chargeId, status: outcome.status, echo: outcome.echo };
      }
    } catch (error) {
      const trouble = this.resilience.trouble(error);
      if (!trouble) throw error; // unexpected: the lease expires and a replay or reconciliation resolves it
      if (fresh && upstreamNotCalled(error)) {
        await this.payments.abandon(payment);
        return { kind: 'abandoned', trouble: trouble === 'busy' ? 'busy' : 'circuit-open' };
      }
      // Outcome unknown: the payment stays `unknown`, never lost; asking again with the same
      // provider key is safe because the provider dedupes by key, so it is never charged twice.
      // The reconciler waits a lease before its status query: our request may still be in the
      // provider's hands, and a 404 before it lands must not read as "never charged".
      await this.payments.release(payment, new Date(Date.now() + this.leaseMs));
      this.metrics.paymentStatus(PaymentStatus.unknown);
      return { kind: 'unsettled', trouble };
    }
    return this.record(payment, report);
  }

  /**
   * The status query: what the provider made under the payment's key. A 404 is "never charged"
   * (the caller holds the lease, so no request of ours for this key is still on its way).
   */
  async query(payment: Payment): Promise<SettlementOutcome> {
    let report: ProviderReport;
    try {
      const found = await this.provider.lookup(payment.providerKey);
      report =
        found.kind === 'not-found'
          ? { kind: 'never-charged' }
          : { kind: 'charge', chargeId: found.chargeId, status: found.status, echo: found.echo };
    } catch (error) {
      const trouble = this.resilience.trouble(error);
      if (!trouble) throw error;
      await this.payments.release(payment);
      return { kind: 'unsettled', trouble };
    }
    return this.record(payment, report);
  }

  private async record(payment: Payment, report: ProviderReport): Promise<SettlementOutcome> {
    const { transition, payment: now } = await this.payments.record(payment.id, report);
    if (transition.kind === 'conflict') {
      // Never attach that charge, never call the payment settled on its word: it stays as it is
      // (visible in the readiness backlog), is logged for an operator, and is asked again later.
      this.logger.error(`Payment ${payment.id}: ${transition.why}; left ${payment.status} for an operator`);
      return { kind: 'contradicted', why: transition.why };
    }
    if (transition.kind === 'apply') this.metrics.paymentStatus(now.status);
    if (now.status === PaymentStatus.unknown) return { kind: 'unsettled', trouble: 'unavailable' };
    if (now.status === PaymentStatus.pending && payment.status === PaymentStatus.pending) {
      return { kind: 'still-pending', payment: now };
    }
    return { kind: 'settled', payment: now };
  }
}

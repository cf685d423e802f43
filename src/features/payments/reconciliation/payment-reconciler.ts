import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Payment } from '../../../generated/prisma/client';
import { ProviderResilience } from '../resilience/provider-resilience';
import { resilienceConfig } from '../resilience/resilience.config';
import { paymentsConfig } from '../payments.config';
import { ErrorCode } from '../../../platform/problems';
import { paymentLeaseMs } from '../payment-lease';
import { PaymentSettlement } from '../payment-settlement';
import { ReconciliationRepository } from './reconciliation.repository';

/** At most this many payments per run, asked one after another (one provider call at a time). */
export const RECONCILE_BATCH_SIZE = 20;

/**
 * Per-payment backoff after a failed attempt: one interval, doubling, but never longer than
 * lease + interval, so that once the provider answers again no payment waits for more than
 * lease + 2 x interval (see docs/payments.md, "Reconciliation").
 */
export function reconcileBackoffMs(failedAttempts: number, intervalMs: number, leaseMs: number): number {
  const doubling = intervalMs * 2 ** Math.min(Math.max(0, failedAttempts - 1), 20);
  return Math.min(doubling, leaseMs + intervalMs);
}

/**
 * Settles payments left `unknown` without waiting for their client: a gateway killed mid-call, a
 * client that gave up after a 504. Every PAYMENT_RECONCILE_INTERVAL_MS each instance leases a
 * bounded batch of due payments and asks the provider again with each payment's own provider key,
 * which the provider dedupes, so this never charges twice. It asks only while the breaker admits
 * calls: closed, or open with the half-open delay elapsed, in which case its first call is the
 * probe (so the breaker recovers even when no client is paying). Runs never overlap in an
 * instance; across instances the lease keeps one worker per payment.
 */
@Injectable()
export class PaymentReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PaymentReconciler');
  private readonly intervalMs: number;
  private readonly leaseMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopping = false;

  constructor(
    @Inject(paymentsConfig.KEY) config: ConfigType<typeof paymentsConfig>,
    @Inject(resilienceConfig.KEY) policies: ConfigType<typeof resilienceConfig>,
    private readonly repository: ReconciliationRepository,
    private readonly settlement: PaymentSettlement,
    private readonly resilience: ProviderResilience,
  ) {
    this.intervalMs = config.reconcileIntervalMs;
    this.leaseMs = paymentLeaseMs(policies);
  }

  onApplicationBootstrap(): void {
    if (this.intervalMs === 0) return; // off in this instance
    this.schedule();
  }

  /** Stops scheduling, lets the current run finish its current payment, and gives back the rest. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run now (also what the timer calls). Resolves when the run is over; never rejects. */
  runOnce(): Promise<void> {
    this.running ??= this.reconcile()
      .catch((error: unknown) => {
        if (!this.stopping) this.logger.error(`Reconciliation run failed: ${(error as Error).message}`);
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      void this.runOnce().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private async reconcile(): Promise<void> {
    if (this.stopping || !this.resilience.admitsNewCall()) return;
    const batch = await this.repository.leaseDue(new Date(), this.leaseMs, RECONCILE_BATCH_SIZE);
    for (const [i, payment] of batch.entries()) {
      if (this.stopping || !this.resilience.admitsNewCall()) {
        await this.repository.releaseLeases(batch.slice(i));
        return;
      }
      await this.reconcileOne(payment);
    }
  }

  private async reconcileOne(payment: Payment): Promise<void> {
    const result = await this.settlement.settle(payment, false);
    const age = Math.round((Date.now() - payment.createdAt.getTime()) / 1000);
    if (result.kind === 'settled') {
      // Ids and status only: no amounts, recipients, keys or provider answers in the log.
      this.logger.log(
        `Payment ${payment.id} settled by reconciliation: ${result.view.status} ` +
          `(unknown for ${age} s, ${payment.reconcileAttempts} earlier failed attempt(s))`,
      );
      return;
    }
    if (result.kind === 'abandoned') return; // only a fresh claim can be abandoned; never here
    const code = result.problem.code;
    // Refused by our own breaker or bulkhead: the provider was not asked, not this payment's fault.
    if (code === ErrorCode.CIRCUIT_OPEN || code === ErrorCode.SERVICE_UNAVAILABLE) return;
    const failures = payment.reconcileAttempts + 1;
    const backoff = reconcileBackoffMs(failures, this.intervalMs, this.leaseMs);
    await this.repository.recordFailure(payment, new Date(Date.now() + backoff));
    this.logger.warn(
      `Payment ${payment.id} still unknown after reconciliation attempt ${failures} (${result.reason}); ` +
        `next attempt in ${Math.round(backoff / 1000)} s or later`,
    );
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Payment } from '../../../generated/prisma/client';
import { ProviderResilience } from '../resilience/provider-resilience';
import { resilienceConfig } from '../resilience/resilience.config';
import { paymentsConfig } from '../payments.config';
import type { ReconciliationDecision } from '../payment-outcomes';
import { paymentLeaseMs } from '../payment-lease';
import { PaymentSettlement } from '../payment-settlement';
import { ReconciliationRepository } from './reconciliation.repository';

/** The time, for the worker's decisions (module specs drive it by hand). */
export interface PaymentsClock {
  now(): number;
}
export const PAYMENTS_CLOCK = Symbol('PAYMENTS_CLOCK');
const SYSTEM_CLOCK: PaymentsClock = { now: () => Date.now() };

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
 * Settles payments left `unknown` (a gateway killed mid-call, a client that gave up after a 504) or
 * `pending` (the provider is still working on the charge) without waiting for their client or a
 * webhook. Every PAYMENT_RECONCILE_INTERVAL_MS each instance leases a bounded batch of due payments
 * and asks the provider's status query about each payment's own provider key: it never charges.
 * No charge under the key (404) settles an `unknown` payment `failed` (`never_charged`): its lease
 * has expired, so no call of ours with that key is still on its way (docs/payments.md). It asks only while the breaker admits
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
    @Optional() @Inject(PAYMENTS_CLOCK) private readonly clock: PaymentsClock = SYSTEM_CLOCK,
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
    const batch = await this.repository.leaseDue(new Date(this.clock.now()), this.leaseMs, RECONCILE_BATCH_SIZE);
    for (const [i, payment] of batch.entries()) {
      if (this.stopping || !this.resilience.admitsNewCall()) {
        await this.repository.releaseLeases(batch.slice(i));
        return;
      }
      await this.reconcileOne(payment);
    }
  }

  /** Asks about one leased payment and records what happens to it. */
  async reconcileOne(payment: Payment): Promise<ReconciliationDecision> {
    const result = await this.settlement.query(payment);
    const age = Math.round((this.clock.now() - payment.createdAt.getTime()) / 1000);
    if (result.kind === 'settled') {
      // Ids and status only: no amounts, recipients, keys or provider answers in the log.
      this.logger.log(
        `Payment ${payment.id} settled by reconciliation: ${result.payment.status} ` +
          `(${payment.status} for ${age} s, ${payment.reconcileAttempts} earlier attempt(s))`,
      );
      if (result.payment.status === 'pending') return this.backOff(payment, 'the charge is pending');
      return { kind: 'settled', status: result.payment.status };
    }
    switch (result.kind) {
      case 'still-pending':
        return this.backOff(payment, 'the charge is still pending');
      case 'contradicted':
        return this.backOff(payment, 'the provider contradicted the payment');
      case 'abandoned':
        return { kind: 'skipped' }; // only a fresh claim can be abandoned; never here
      case 'unsettled':
        // Refused by our own breaker or bulkhead: the provider was not asked, not this payment's fault.
        if (result.trouble === 'circuit-open' || result.trouble === 'busy') return { kind: 'skipped' };
        return this.backOff(payment, result.trouble);
    }
  }

  private async backOff(payment: Payment, why: string): Promise<ReconciliationDecision> {
    const attempts = payment.reconcileAttempts + 1;
    const backoff = reconcileBackoffMs(attempts, this.intervalMs, this.leaseMs);
    await this.repository.recordAttempt(payment, new Date(this.clock.now() + backoff));
    const log = `Payment ${payment.id} still ${payment.status === 'pending' ? 'pending' : 'unsettled'} after reconciliation attempt ${attempts} (${why}); next attempt in ${Math.round(backoff / 1000)} s or later`;
    if (why === 'the charge is still pending' || why === 'the charge is pending') this.logger.log(log);
    else this.logger.warn(log);
    return { kind: 'backed-off', attempts, nextAttemptInMs: backoff, why };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { ConfigType } from '@nestjs/config';
import type { ReadinessDetail } from '../../../platform/health/readiness-details';
import { paymentsConfig } from '../payments.config';
import { PaymentBacklog, ReconciliationRepository } from './reconciliation.repository';

/**
 * The `unknown` backlog, for readiness and metrics (`gateway_payments_unknown`,
 * `gateway_payments_unknown_oldest_seconds`). One indexed count over the partial index on
 * unknown payments; it counts payments still in flight too (they are `unknown` until answered).
 */
@Injectable()
export class PaymentBacklogMonitor {
  constructor(private readonly repository: ReconciliationRepository) {}

  read(): Promise<PaymentBacklog> {
    return this.repository.backlog();
  }
}

/**
 * The backlog in /health/ready (`details.paymentReconciliation`). Always "up": a backlog means the
 * provider is (or was) failing, not this instance; a database outage already shows as `database`.
 */
@Injectable()
export class PaymentBacklogDetail implements ReadinessDetail {
  constructor(
    private readonly backlog: PaymentBacklogMonitor,
    private readonly indicators: HealthIndicatorService,
    @Inject(paymentsConfig.KEY) private readonly config: ConfigType<typeof paymentsConfig>,
  ) {}

  async report(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('paymentReconciliation');
    const worker = { intervalMs: this.config.reconcileIntervalMs, enabled: this.config.reconcileIntervalMs > 0 };
    try {
      return indicator.up({ ...worker, ...(await this.backlog.read()) });
    } catch {
      return indicator.up({ ...worker, backlog: 'unavailable' });
    }
  }
}

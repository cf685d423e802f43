import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { MetricsService, UnknownPaymentsBacklog } from '../../platform/metrics/metrics.service';
import { paymentsConfig } from './payments.config';
import { PaymentBacklogMonitor } from './reconciliation/payment-backlog';

/** Feeds the unknown-payments gauges (one indexed count) and the reconciliation worker's period. */
@Injectable()
export class PaymentsMetrics implements OnModuleInit {
  constructor(
    private readonly backlog: PaymentBacklogMonitor,
    private readonly metrics: MetricsService,
    @Inject(paymentsConfig.KEY) private readonly config: ConfigType<typeof paymentsConfig>,
  ) {}

  onModuleInit(): void {
    this.metrics.reconcileIntervalIs(this.config.reconcileIntervalMs / 1000);
    this.metrics.watchUnknownPayments(() => this.unknownBacklog());
  }

  async unknownBacklog(): Promise<UnknownPaymentsBacklog> {
    const { unknown, oldestUnknownSeconds } = await this.backlog.read();
    return { count: unknown, oldestSeconds: oldestUnknownSeconds };
  }
}

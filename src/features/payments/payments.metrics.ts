import { Injectable, OnModuleInit } from '@nestjs/common';
import { MetricsService, UnknownPaymentsBacklog } from '../../platform/metrics/metrics.service';
import { PaymentBacklogMonitor } from './reconciliation/payment-backlog';

/** Feeds the unknown-payments gauges from the same backlog readiness reports (one indexed count). */
@Injectable()
export class PaymentsMetrics implements OnModuleInit {
  constructor(
    private readonly backlog: PaymentBacklogMonitor,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.watchUnknownPayments(() => this.unknownBacklog());
  }

  async unknownBacklog(): Promise<UnknownPaymentsBacklog> {
    const { unknown, oldestUnknownSeconds } = await this.backlog.read();
    return { count: unknown, oldestSeconds: oldestUnknownSeconds };
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { PaymentStatus } from '../generated/prisma/client';
import { MetricsService, UnknownPaymentsBacklog } from '../metrics/metrics.service';

/** Feeds the unknown-payments gauges: how many payments await reconciliation, and the oldest one. */
@Injectable()
export class PaymentsMetrics implements OnModuleInit {
  constructor(
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.watchUnknownPayments(() => this.unknownBacklog());
  }

  async unknownBacklog(): Promise<UnknownPaymentsBacklog> {
    const result = await this.prisma.payment.aggregate({
      where: { status: PaymentStatus.unknown },
      _count: { _all: true },
      _min: { createdAt: true },
    });
    const oldest = result._min.createdAt;
    return { count: result._count._all, oldestSeconds: oldest ? (Date.now() - oldest.getTime()) / 1000 : 0 };
  }
}

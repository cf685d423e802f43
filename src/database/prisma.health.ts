import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { withTimeout } from '../health/with-timeout';
import { PrismaService } from './prisma.service';

@Injectable()
export class PrismaHealthIndicator {
  constructor(
    private readonly prisma: PrismaService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key = 'database', timeoutMs = 1000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    const started = Date.now();
    try {
      await withTimeout(this.prisma.$queryRaw`SELECT 1`, timeoutMs);
      return indicator.up({ latencyMs: Date.now() - started });
    } catch {
      return indicator.down({ message: 'PostgreSQL did not answer' });
    }
  }
}

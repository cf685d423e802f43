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

  /**
   * Up when PostgreSQL answers within `timeoutMs` AND the session it answered on has the configured
   * timeouts (one round trip, the same cost as `SELECT 1`): behind a pooler, a server connection
   * whose bounds were lost takes the instance out of rotation instead of serving unbounded queries.
   */
  async check(key = 'database', timeoutMs = 1000): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    let reason: string | undefined;
    try {
      reason = await withTimeout(this.prisma.unboundedReason(), timeoutMs);
    } catch {
      return indicator.down({ message: 'PostgreSQL did not answer' });
    }
    if (reason !== undefined) return indicator.down({ message: 'PostgreSQL queries are not bounded' });
    return indicator.up();
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { getStorageToken } from '@nestjs/throttler';
import type { ReadinessDetail } from '../health/readiness-details';
import { FallbackThrottlerStorage } from './fallback-throttler.storage';

/**
 * Adds `rateLimit: { status: 'up', store: 'redis' | 'memory-fallback' }` to /health/ready.
 * Informational: limits still apply in the fallback, so it never makes the instance unready
 * (the Redis check already does while Redis is down).
 */
@Injectable()
export class RateLimitReadiness implements ReadinessDetail {
  constructor(
    @Inject(getStorageToken()) private readonly storage: FallbackThrottlerStorage,
    private readonly indicators: HealthIndicatorService,
  ) {}

  report(): Promise<HealthIndicatorResult> {
    return Promise.resolve(this.indicators.check('rateLimit').up({ store: this.storage.store }));
  }
}

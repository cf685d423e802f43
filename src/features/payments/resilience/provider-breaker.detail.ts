import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { ReadinessDetail } from '../../../platform/health/readiness-details';
import { ProviderResilience } from './provider-resilience';

/**
 * The provider breaker in /health/ready. Always "up": an open breaker means the provider is
 * failing, not this instance; taking the gateway out of rotation would not heal the provider and
 * would also stop logins and reads that do not need it.
 */
@Injectable()
export class ProviderBreakerDetail implements ReadinessDetail {
  constructor(
    private readonly resilience: ProviderResilience,
    private readonly indicators: HealthIndicatorService,
  ) {}

  report(): Promise<HealthIndicatorResult> {
    return Promise.resolve(this.indicators.check('paymentProvider').up({ ...this.resilience.snapshot() }));
  }
}

import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { ReadinessDetail } from '../../../platform/health/readiness-details';
import { ProviderResilience } from './provider-resilience';

/**
 * The provider breaker in /health/ready: its `state` only (`closed`, `open`, `half-open`; an
 * operator-isolated breaker refuses like an open one and shows as `open`). Its counts, threshold
 * and bulkhead slots are on the metrics listener (`gateway_circuit_*`, `gateway_provider_bulkhead_*`),
 * not on this unauthenticated route. Always "up": an open breaker means the provider is failing,
 * not this instance; taking the gateway out of rotation would not heal the provider and would
 * also stop logins and reads that do not need it.
 */
@Injectable()
export class ProviderBreakerDetail implements ReadinessDetail {
  constructor(
    private readonly resilience: ProviderResilience,
    private readonly indicators: HealthIndicatorService,
  ) {}

  report(): Promise<HealthIndicatorResult> {
    const state = this.resilience.state;
    return Promise.resolve(
      this.indicators.check('paymentProvider').up({ state: state === 'isolated' ? 'open' : state }),
    );
  }
}

import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * Extension point: other modules (rate-limit store mode, provider breaker state) contribute
 * informational details to /health/ready by providing READINESS_DETAILS (multi-provider style is
 * not available in Nest, so HealthModule.forRoot collects them). A detail reports "up" unless its
 * dependency should really take the instance out of rotation.
 */
export const READINESS_DETAILS = Symbol('READINESS_DETAILS');

export interface ReadinessDetail {
  report(): Promise<HealthIndicatorResult>;
}

import type { ConfigType } from '@nestjs/config';
import { RETRY_MAX_DELAY_MS } from './resilience/provider-resilience';
import type { resilienceConfig } from './resilience/resilience.config';

/**
 * How long one owner (a request or the reconciliation worker) holds an unfinished payment: longer
 * than the slowest provider call (every attempt and backoff wait) plus time for the database.
 * A payment whose owner died (SIGKILL, OOM) is free again once this has passed.
 */
export function paymentLeaseMs(policies: Pick<ConfigType<typeof resilienceConfig>, 'retries' | 'timeoutMs'>): number {
  const attempts = policies.retries + 1;
  return attempts * policies.timeoutMs + policies.retries * RETRY_MAX_DELAY_MS + 10_000;
}

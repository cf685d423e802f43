import type { Env } from '../config/environment';
import { RETRY_MAX_DELAY_MS } from '../resilience/provider-resilience';

/**
 * How long one owner (a request or the reconciliation worker) holds an unfinished payment: longer
 * than the slowest provider call (every attempt and backoff wait) plus time for the database.
 * A payment whose owner died (SIGKILL, OOM) is free again once this has passed.
 */
export function paymentLeaseMs(env: Pick<Env, 'PAYMENT_PROVIDER_RETRIES' | 'PAYMENT_PROVIDER_TIMEOUT_MS'>): number {
  const attempts = env.PAYMENT_PROVIDER_RETRIES + 1;
  return attempts * env.PAYMENT_PROVIDER_TIMEOUT_MS + env.PAYMENT_PROVIDER_RETRIES * RETRY_MAX_DELAY_MS + 10_000;
}

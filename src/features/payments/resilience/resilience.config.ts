import { configSlice } from '../../../platform/config/config-slice';

/** The payment provider's call policies. */
export const resilienceConfig = configSlice('resilience', (env) => ({
  timeoutMs: env.PAYMENT_PROVIDER_TIMEOUT_MS,
  retries: env.PAYMENT_PROVIDER_RETRIES,
  circuitFailureThreshold: env.CIRCUIT_FAILURE_THRESHOLD,
  circuitHalfOpenAfterMs: env.CIRCUIT_HALF_OPEN_AFTER_MS,
  maxConcurrency: env.PAYMENT_PROVIDER_MAX_CONCURRENCY,
  maxQueue: env.PAYMENT_PROVIDER_MAX_QUEUE,
}));

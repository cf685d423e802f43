/**
 * What can go wrong when calling a downstream service, as the resilience policies see it.
 * Only these two are "transient": retried, and counted by the circuit breaker. A downstream
 * refusal (4xx) is an answer, not an error, and never reaches the policies as one.
 */

/** One attempt ran out of time (the per-attempt timeout aborted it). */
export class UpstreamTimeoutError extends Error {
  constructor(readonly upstream: string) {
    super(`${upstream} did not answer in time`);
    this.name = 'UpstreamTimeoutError';
  }
}

/** Network failure, 5xx, 429 or an unreadable answer: the downstream's own trouble. */
export class UpstreamUnavailableError extends Error {
  constructor(
    readonly upstream: string,
    readonly reason: string,
    readonly httpStatus?: number,
  ) {
    super(`${upstream} failed: ${reason}`);
    this.name = 'UpstreamUnavailableError';
  }
}

export function isTransientUpstreamError(error: unknown): boolean {
  return error instanceof UpstreamTimeoutError || error instanceof UpstreamUnavailableError;
}

/**
 * Why a provider call gave no usable answer, in payment terms. `circuit-open` and `busy` (bulkhead
 * full) are our own guards refusing the call: the provider was not asked.
 */
export type ProviderTrouble = 'timeout' | 'unavailable' | 'circuit-open' | 'busy';

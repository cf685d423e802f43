/**
 * Exponential backoff with jitter: the n-th retry (1-based) waits base * 2^(n-1), plus up to half
 * of that again at random, capped at `maxMs`. The jitter spreads retries of many clients apart;
 * keeping it below the doubling means every wait is still longer than the one before.
 */
export function retryDelayMs(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.max(0, retry - 1);
  return Math.min(maxMs, Math.round(exponential * (1 + random() / 2)));
}

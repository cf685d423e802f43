import { SetMetadata } from '@nestjs/common';

export const READ_WITH_RATE_LIMIT = 'gateway:read-with-rate-limit';

/**
 * A counter's key from the client's budget key (`rl:<client digest>`, see budgetKey). It must
 * carry the budget's hash tag `{<budget>}`, so the one rate-limit script may read it on Redis
 * Cluster too (the storage refuses any other key).
 */
export type CounterKeyOf = (budget: string) => string;

/** A counter read in the rate-limit script: its value (0 when absent) and TTL in seconds (-2 when absent). */
export interface CounterRead {
  count: number;
  ttlSeconds: number;
}

/**
 * The route's rate-limit check also reads the client's counter `keyOf(budget)`, in the same
 * script call (one Redis round trip for both), and keeps it for the request (see
 * counterReadWithRateLimit). A read, never a write: what the counter decides stays with its owner.
 */
export const ReadWithRateLimit = (keyOf: CounterKeyOf): MethodDecorator => SetMetadata(READ_WITH_RATE_LIMIT, keyOf);

const reads = new WeakMap<object, ReadonlyMap<string, CounterRead>>();

/** Kept by RateLimitGuard: what its script call read for `request`. */
export function keepCounterReads(request: object, values: ReadonlyMap<string, CounterRead>): void {
  reads.set(request, values);
}

/**
 * The counter `key` as the rate-limit check of `request` read it, or undefined when it did not
 * (the route is not marked, the limits counted in memory while Redis was away, or no limit applied).
 */
export function counterReadWithRateLimit(request: object, key: string): CounterRead | undefined {
  return reads.get(request)?.get(key);
}

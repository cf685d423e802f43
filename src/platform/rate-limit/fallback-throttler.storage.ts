import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisClient } from '../redis/redis.constants';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import type { CounterRead } from './read-with-rate-limit';
import { LimitCheck, RedisRateLimitStorage } from './redis-rate-limit.storage';
import type { ThrottlerStorageRecord } from './throttler-storage-record';

/** Where counts live right now: the shared Redis, or this instance's memory while Redis is away. */
export type RateLimitStore = 'redis' | 'memory-fallback';

/** After a failed Redis call, how long to count in memory before one request tries Redis again. */
const PROBE_INTERVAL_MS = 1000;

/**
 * The throttler's storage: counts in the one shared Redis (one atomic Lua script call for every
 * named limit of a request, see RedisRateLimitStorage) so every instance enforces the same limit, and while
 * Redis cannot be reached, counts in this instance's memory instead of letting traffic through
 * unlimited (fail-open) or refusing it (fail-closed).
 *
 * The switch to memory happens on the first failed Redis call (the client does not queue commands
 * while disconnected, so that call fails at once, or after the 1 s command timeout at worst);
 * the switch back happens when the client reports `ready` again, or when a periodic probe call
 * succeeds (for failures that did not drop the connection). Each switch logs one line.
 */
export class FallbackThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly shared: RedisRateLimitStorage;
  private readonly local = new MemoryThrottlerStorage();
  private current: RateLimitStore = 'redis';
  private lastFailureAt = 0;
  private probing = false;
  private readonly onReady = (): void => this.useShared();

  constructor(private readonly redis: RedisClient) {
    this.shared = new RedisRateLimitStorage(redis);
    redis.on('ready', this.onReady);
  }

  get store(): RateLimitStore {
    return this.current;
  }

  /** ThrottlerStorage's one-limit call (the guard uses incrementAllAndRead). */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [record] = await this.incrementAll(key, [{ name: throttlerName, ttl, limit, blockDuration }]);
    if (!record) throw new Error('the rate-limit storage answered no record for the limit');
    return record;
  }

  /**
   * Counts one hit against each of `checks` in order, stopping after the first that refuses;
   * returns one record per limit counted. One Redis round trip for all of them.
   */
  async incrementAll(budget: string, checks: readonly LimitCheck[]): Promise<ThrottlerStorageRecord[]> {
    return (await this.incrementAllAndRead(budget, checks, [])).records;
  }

  /**
   * incrementAll, and in the same Redis call the counters `reads` (see
   * RedisRateLimitStorage.incrementAllAndRead). While counting in memory nothing is read: `reads`
   * is undefined, and their owners read them themselves.
   */
  incrementAllAndRead(
    budget: string,
    checks: readonly LimitCheck[],
    reads: readonly string[],
  ): Promise<{ records: ThrottlerStorageRecord[]; reads?: CounterRead[] }> {
    const tag = `{${budget}}`;
    for (const key of reads) {
      if (!key.includes(tag)) {
        return Promise.reject(new Error(`a counter read with the rate limit must carry the hash tag ${tag}`));
      }
    }
    if (this.current === 'redis' || this.mayProbe()) {
      // A `then` on Redis's answer rather than an async function awaiting it: one promise less
      // on every request while Redis is up.
      let shared: Promise<{ records: ThrottlerStorageRecord[]; reads?: CounterRead[] }>;
      try {
        shared = this.shared.incrementAllAndRead(budget, checks, reads);
      } catch (error) {
        shared = Promise.reject(error as Error);
      }
      return shared.then(
        (answer) => {
          this.probing = false;
          this.useShared();
          return answer;
        },
        (error: unknown) => {
          this.probing = false;
          this.useMemory(error);
          return this.countLocally(budget, checks);
        },
      );
    }
    return this.countLocally(budget, checks);
  }

  /** Counts in this instance's memory, as the shared counters would. */
  private async countLocally(
    budget: string,
    checks: readonly LimitCheck[],
  ): Promise<{ records: ThrottlerStorageRecord[] }> {
    const records: ThrottlerStorageRecord[] = [];
    for (const check of checks) {
      const record = await this.local.increment(budget, check.ttl, check.limit, check.blockDuration, check.name);
      records.push(record);
      if (record.isBlocked) break;
    }
    return { records };
  }

  onApplicationShutdown(): void {
    this.redis.off('ready', this.onReady);
    this.local.clear();
  }

  /** At most one request at a time retries Redis, and only once per PROBE_INTERVAL_MS. */
  private mayProbe(): boolean {
    if (this.probing || this.redis.status !== 'ready' || Date.now() - this.lastFailureAt < PROBE_INTERVAL_MS) {
      return false;
    }
    this.probing = true;
    return true;
  }

  private useShared(): void {
    if (this.current === 'redis') return;
    this.current = 'redis';
    this.logger.log('Redis is reachable again: rate limits are shared across instances again');
  }

  private useMemory(error: unknown): void {
    this.lastFailureAt = Date.now();
    if (this.current === 'memory-fallback') return;
    this.current = 'memory-fallback';
    const reason = error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
    this.logger.warn(
      `Redis unreachable (${reason}): rate limits are counted in this instance's memory until it returns`,
    );
  }
}

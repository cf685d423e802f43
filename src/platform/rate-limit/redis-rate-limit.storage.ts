import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/redis.constants';
import type { CounterRead } from './read-with-rate-limit';
import type { ThrottlerStorageRecord } from './throttler-storage-record';

/** One named limit to count for a request. Times in milliseconds, as @nestjs/throttler gives them. */
export interface LimitCheck {
  name: string;
  ttl: number;
  limit: number;
  blockDuration: number;
}

/**
 * Every named limit of one request in one atomic script: for each limit in order, count a hit in
 * its fixed window (the window starts at the first hit), block for `blockDuration` once the count
 * passes the limit, and stop at the first limit that refuses (later ones are not counted, as when
 * the throttler checks them one by one). KEYS: two per limit (hits, blocked), then the counters to
 * read; ARGV: three per limit (ttl, limit, block duration). Returns, first, two numbers per counter
 * read (its value, 0 when absent, and its TTL in seconds, -2 when absent), then four numbers per
 * limit it looked at. The reads come first: they are made whatever the limits answer.
 * Same rules as @nest-lab/throttler-storage-redis (after rate-limit-redis), one call for all limits.
 */
const SCRIPT = `
local out = {}
local limits = #ARGV / 3
for j = 2 * limits + 1, #KEYS do
  out[#out + 1] = tonumber(redis.call('GET', KEYS[j]) or '0')
  out[#out + 1] = redis.call('TTL', KEYS[j])
end
for i = 1, limits do
  local hitKey = KEYS[2 * i - 1]
  local blockKey = KEYS[2 * i]
  local ttl = tonumber(ARGV[3 * i - 2])
  local limit = tonumber(ARGV[3 * i - 1])
  local blockDuration = tonumber(ARGV[3 * i])
  local totalHits = redis.call('INCR', hitKey)
  local timeToExpire = redis.call('PTTL', hitKey)
  if timeToExpire <= 0 then
    redis.call('PEXPIRE', hitKey, ttl)
    timeToExpire = ttl
  end
  local isBlocked = redis.call('GET', blockKey)
  local timeToBlockExpire = 0
  if isBlocked then
    timeToBlockExpire = redis.call('PTTL', blockKey)
  elseif totalHits > limit then
    redis.call('SET', blockKey, 1, 'PX', blockDuration)
    isBlocked = '1'
    timeToBlockExpire = blockDuration
  end
  if isBlocked and timeToBlockExpire <= 0 then
    redis.call('DEL', blockKey)
    redis.call('SET', hitKey, 1, 'PX', ttl)
    totalHits = 1
    timeToExpire = ttl
    isBlocked = false
  end
  out[#out + 1] = totalHits
  out[#out + 1] = timeToExpire
  out[#out + 1] = isBlocked and 1 or 0
  out[#out + 1] = timeToBlockExpire
  if isBlocked then break end
end
return out
`;

const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** Redis's answer when it does not hold a script by that digest (a new server, a failover, SCRIPT FLUSH). */
const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Rate-limit counts in the shared Redis: one `EVALSHA` per request for every named limit that
 * applies to it. A server that does not hold the script answers `NOSCRIPT`; that request then
 * sends the script itself (`EVAL`), which also caches it on that server for the next ones.
 *
 * Key layout: `<REDIS_KEY_PREFIX>{<budget>}:<limit name>:hits` and `...:blocked`, where `<budget>`
 * is `rl:<client digest>` (see budgetKey). The braces are a Redis Cluster hash tag: all keys of
 * one client, across every named limit, hash to one slot, so the one script may touch them all.
 */
export class RedisRateLimitStorage {
  constructor(private readonly redis: RedisClient) {}

  /**
   * Counts one hit against each of `checks` in order, stopping after the first that refuses, and
   * in the same script call reads the current value of each counter in `reads` (keys of this
   * budget's hash tag only, so the call stays in one Cluster slot: the caller checks).
   */
  incrementAllAndRead(
    budget: string,
    checks: readonly LimitCheck[],
    reads: readonly string[],
  ): Promise<{ records: ThrottlerStorageRecord[]; reads: CounterRead[] }> {
    const keys: string[] = [];
    const args: number[] = [];
    for (const check of checks) {
      keys.push(`{${budget}}:${check.name}:hits`, `{${budget}}:${check.name}:blocked`);
      args.push(check.ttl, check.limit, check.blockDuration);
    }
    keys.push(...reads);
    const answer = (reply: unknown): { records: ThrottlerStorageRecord[]; reads: CounterRead[] } =>
      scriptAnswer(reply, checks, reads);
    // The reply read in a `then`, not after an `await`, and the NOSCRIPT retry in the same `then`
    // (ioredis's own script commands add a promise of their own for it): one promise per request.
    return this.redis.evalsha(SCRIPT_SHA, keys.length, ...keys, ...args).then(answer, (error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.redis.eval(SCRIPT, keys.length, ...keys, ...args).then(answer);
    });
  }
}

/** The script's reply: the counters read, then four numbers per limit counted; anything else is refused. */
function scriptAnswer(
  reply: unknown,
  checks: readonly LimitCheck[],
  reads: readonly string[],
): { records: ThrottlerStorageRecord[]; reads: CounterRead[] } {
  const readLength = reads.length * 2;
  if (
    !Array.isArray(reply) ||
    !reply.every((n) => typeof n === 'number') ||
    reply.length <= readLength ||
    (reply.length - readLength) % 4 !== 0 ||
    reply.length - readLength > checks.length * 4
  ) {
    throw new TypeError('unexpected rate-limit script reply');
  }
  const numbers = reply as number[];
  const counters: CounterRead[] = [];
  for (let i = 0; i < readLength; i += 2) {
    counters.push({ count: numbers[i] as number, ttlSeconds: numbers[i + 1] as number });
  }
  const records: ThrottlerStorageRecord[] = [];
  for (let i = readLength; i < numbers.length; i += 4) {
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = numbers.slice(i, i + 4) as [
      number,
      number,
      number,
      number,
    ];
    records.push({
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: isBlocked === 1,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    });
  }
  return { records, reads: counters };
}

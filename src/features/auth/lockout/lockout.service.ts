import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import { normalizeEmail } from '../credentials/email';
import { REDIS, type RedisClient } from '../../../platform/redis/redis.constants';
import { lockoutConfig } from './lockout.config';

/** Seconds a client is told to wait when Redis (the lockout store) is unreachable. */
export const LOCKOUT_STORE_RETRY_AFTER_SECONDS = 5;

/** How a login attempt began: refused because the identifier is locked, or counted. */
export type AttemptStart =
  | { kind: 'locked'; retryAfterSeconds: number }
  /** `locksOnFailure`: this attempt is the one that locks the identifier if it fails. */
  | { kind: 'counted'; locksOnFailure: boolean };

/** The lockout store (Redis) did not answer: logins are refused rather than let through uncounted. */
export class LockoutStoreUnavailableError extends Error {
  readonly retryAfterSeconds = LOCKOUT_STORE_RETRY_AFTER_SECONDS;

  constructor(cause: unknown) {
    super('the lockout store is unavailable', { cause });
    this.name = 'LockoutStoreUnavailableError';
  }
}

export interface LockStatus {
  locked: boolean;
  /** Remaining lock time in whole seconds (0 when not locked). */
  retryAfterSeconds: number;
}

/**
 * Begins a login attempt, atomically, in one round trip: if the count has reached the threshold
 * the identifier is locked (returns {1, ttl}); otherwise the attempt is counted now, before the
 * password is checked (returns {0, count}). Counting up front means a burst of parallel guesses
 * cannot get more than LOCKOUT_THRESHOLD of them verified. A new counter gets the window
 * (LOCKOUT_DURATION_SECONDS); the attempt that reaches the threshold restarts the TTL, so the lock
 * lasts the full duration. A counter can never be left without a TTL.
 */
const BEGIN_ATTEMPT = `
local threshold = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= threshold then
  return {1, redis.call('TTL', KEYS[1])}
end
count = redis.call('INCR', KEYS[1])
if count == 1 or count == threshold then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return {0, count}`;

/** Gives back an attempt that was never judged (e.g. refused by the hashing bulkhead). */
const REFUND_ATTEMPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
end
return 1`;

/** {count, ttl} in one round trip. */
const READ_LOCK = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('TTL', KEYS[1])}`;

type LockoutRedis = RedisClient & {
  lockoutBeginAttempt(key: string, threshold: number, durationSeconds: number): Promise<[number, number]>;
  lockoutRefundAttempt(key: string): Promise<number>;
  lockoutRead(key: string): Promise<[number, number]>;
};

/**
 * Failed-login counting per normalized email, in Redis, whether or not the account exists.
 * Key: `lockout:{<HMAC-SHA-256(email)>}` (after REDIS_KEY_PREFIX). The HMAC key is derived from
 * REFRESH_TOKEN_PEPPER, so key names reveal no email and cannot be reversed by hashing a list
 * of known addresses; the braces make the key a Redis Cluster hash tag. The key holds the
 * failure count; its TTL is the window (LOCKOUT_DURATION_SECONDS) and, once the count reaches
 * LOCKOUT_THRESHOLD, the remaining lock time. An attempt is counted when it begins (before the
 * password is checked) and forgotten on success, so parallel guesses cannot overshoot the limit.
 */
@Injectable()
export class LockoutService {
  private readonly logger = new Logger('Lockout');
  private readonly keySecret: Buffer;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(lockoutConfig.KEY) private readonly config: ConfigType<typeof lockoutConfig>,
  ) {
    this.keySecret = createHmac('sha256', config.keyPepper).update('lockout-key-v1').digest();
    if (!('lockoutBeginAttempt' in redis)) {
      redis.defineCommand('lockoutBeginAttempt', { numberOfKeys: 1, lua: BEGIN_ATTEMPT });
      redis.defineCommand('lockoutRefundAttempt', { numberOfKeys: 1, lua: REFUND_ATTEMPT });
      redis.defineCommand('lockoutRead', { numberOfKeys: 1, lua: READ_LOCK });
    }
  }

  /**
   * The Redis key (without REDIS_KEY_PREFIX) of an email. The email is normalized here again
   * so no caller can split one account's counter by spelling it differently.
   */
  keyFor(email: string): string {
    return `lockout:{${createHmac('sha256', this.keySecret).update(normalizeEmail(email), 'utf8').digest('hex')}}`;
  }

  async status(normalizedEmail: string): Promise<LockStatus> {
    const [count, ttl] = await this.call(() => this.commands.lockoutRead(this.keyFor(normalizedEmail)));
    return this.toStatus(count, ttl);
  }

  /**
   * Call before any password work. Answers `locked` (with the remaining seconds) if the identifier
   * is locked; otherwise counts this attempt as a failure until `clear` (success) or `refund`.
   */
  async beginAttempt(normalizedEmail: string): Promise<AttemptStart> {
    const [locked, ttl] = await this.call(() =>
      this.commands.lockoutBeginAttempt(
        this.keyFor(normalizedEmail),
        this.config.threshold,
        this.config.durationSeconds,
      ),
    );
    if (locked === 1) return { kind: 'locked', retryAfterSeconds: ttl > 0 ? ttl : this.config.durationSeconds };
    // Not locked: the script's second value is this attempt's count.
    return { kind: 'counted', locksOnFailure: ttl >= this.config.threshold };
  }

  /** Un-counts an attempt whose password was never checked (the hashing bulkhead refused it). */
  async refund(normalizedEmail: string): Promise<void> {
    await this.call(() => this.commands.lockoutRefundAttempt(this.keyFor(normalizedEmail)));
  }

  /** Forgets every failure of the identifier (successful login, admin unlock: LockoutService.clear). */
  async clear(normalizedEmail: string): Promise<void> {
    await this.call(() => this.redis.del(this.keyFor(normalizedEmail)));
  }

  private get commands(): LockoutRedis {
    return this.redis as LockoutRedis;
  }

  private toStatus(count: number, ttl: number): LockStatus {
    const locked = count >= this.config.threshold && ttl !== -2;
    // TTL -1 (no expiry) cannot happen with the script above; treat it as the full duration.
    const remaining = ttl > 0 ? ttl : this.config.durationSeconds;
    return { locked, retryAfterSeconds: locked ? remaining : 0 };
  }

  /** Redis failures refuse the login (503 at the edge) rather than let it through without lockout. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.logger.warn(`lockout store unavailable: ${(error as Error).message}`);
      throw new LockoutStoreUnavailableError(error);
    }
  }
}

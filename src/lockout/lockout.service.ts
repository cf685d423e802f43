import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHmac } from 'node:crypto';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { REDIS } from '../redis/redis.constants';
import { ErrorCode, ProblemException, problems } from '../validation/problem';

/** Seconds a client is told to wait when Redis (the lockout store) is unreachable. */
export const LOCKOUT_STORE_RETRY_AFTER_SECONDS = 5;

export interface LockStatus {
  locked: boolean;
  /** Remaining lock time in whole seconds (0 when not locked). */
  retryAfterSeconds: number;
}

/**
 * One failure, atomically: increment, give a new counter its window, and at the threshold
 * restart the TTL so the lock lasts the full duration from the locking failure. Returns
 * {count, ttl}. One round trip, so a crash can never leave a counter without a TTL.
 */
const RECORD_FAILURE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 or count == tonumber(ARGV[1]) then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return {count, redis.call('TTL', KEYS[1])}`;

/** {count, ttl} in one round trip. */
const READ_LOCK = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('TTL', KEYS[1])}`;

type LockoutRedis = Redis & {
  lockoutRecordFailure(key: string, threshold: number, durationSeconds: number): Promise<[number, number]>;
  lockoutRead(key: string): Promise<[number, number]>;
};

/**
 * Failed-login counting per normalized email, in Redis, whether or not the account exists.
 * Key: `lockout:{<HMAC-SHA-256(email)>}` (after REDIS_KEY_PREFIX). The HMAC key is derived from
 * REFRESH_TOKEN_PEPPER, so key names reveal no email and cannot be reversed by hashing a list
 * of known addresses; the braces make the key a Redis Cluster hash tag. The key holds the
 * failure count; its TTL is the window (LOCKOUT_DURATION_SECONDS) and, once the count reaches
 * LOCKOUT_THRESHOLD, the remaining lock time.
 */
@Injectable()
export class LockoutService {
  private readonly logger = new Logger('Lockout');
  private readonly keySecret: Buffer;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ENV) private readonly env: Env,
  ) {
    this.keySecret = createHmac('sha256', env.REFRESH_TOKEN_PEPPER).update('lockout-key-v1').digest();
    if (!('lockoutRecordFailure' in redis)) {
      redis.defineCommand('lockoutRecordFailure', { numberOfKeys: 1, lua: RECORD_FAILURE });
      redis.defineCommand('lockoutRead', { numberOfKeys: 1, lua: READ_LOCK });
    }
  }

  /** The Redis key (without REDIS_KEY_PREFIX) of a normalized email. */
  keyFor(normalizedEmail: string): string {
    return `lockout:{${createHmac('sha256', this.keySecret).update(normalizedEmail, 'utf8').digest('hex')}}`;
  }

  async status(normalizedEmail: string): Promise<LockStatus> {
    const [count, ttl] = await this.call(() => this.commands.lockoutRead(this.keyFor(normalizedEmail)));
    return this.toStatus(count, ttl);
  }

  /** Throws 423 ACCOUNT_LOCKED (with Retry-After) if the identifier is locked. */
  async assertNotLocked(normalizedEmail: string): Promise<void> {
    const status = await this.status(normalizedEmail);
    if (status.locked) throw accountLocked(status.retryAfterSeconds);
  }

  async recordFailure(normalizedEmail: string): Promise<LockStatus> {
    const [count, ttl] = await this.call(() =>
      this.commands.lockoutRecordFailure(
        this.keyFor(normalizedEmail),
        this.env.LOCKOUT_THRESHOLD,
        this.env.LOCKOUT_DURATION_SECONDS,
      ),
    );
    return this.toStatus(count, ttl);
  }

  /** Forgets every failure of the identifier (successful login, admin unlock). */
  async clear(normalizedEmail: string): Promise<void> {
    await this.call(() => this.redis.del(this.keyFor(normalizedEmail)));
  }

  private get commands(): LockoutRedis {
    return this.redis as LockoutRedis;
  }

  private toStatus(count: number, ttl: number): LockStatus {
    const locked = count >= this.env.LOCKOUT_THRESHOLD && ttl !== -2;
    // TTL -1 (no expiry) cannot happen with the script above; treat it as the full duration.
    const remaining = ttl > 0 ? ttl : this.env.LOCKOUT_DURATION_SECONDS;
    return { locked, retryAfterSeconds: locked ? remaining : 0 };
  }

  /** Redis failures become a 503: logins are refused rather than let through without lockout. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.logger.warn(`lockout store unavailable: ${(error as Error).message}`);
      throw problems.serviceUnavailable(
        'Sign-in is temporarily unavailable. Retry shortly.',
        LOCKOUT_STORE_RETRY_AFTER_SECONDS,
      );
    }
  }
}

export function accountLocked(retryAfterSeconds: number): ProblemException {
  return new ProblemException(HttpStatus.LOCKED, ErrorCode.ACCOUNT_LOCKED, 'Account Locked', {
    detail: 'Too many failed sign-in attempts. Try again later.',
    retryAfterSeconds,
  });
}

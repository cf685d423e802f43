import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { REDIS, type RedisClient } from '../../../platform/redis/redis.constants';
import { MetricsService } from '../../../platform/metrics/metrics.service';
import { counterReadWithRateLimit } from '../../../platform/rate-limit/read-with-rate-limit';
import { lockoutConfig } from './lockout.config';
import { AttemptKeys, LockoutKeys } from './lockout-keys';
import { ACCOUNT_BEGIN, ACCOUNT_SUCCESS, CLIENT_BEGIN, READ, REFUND } from './lockout-scripts';

/** Seconds a client is told to wait when Redis (the lockout store) is unreachable. */
export const LOCKOUT_STORE_RETRY_AFTER_SECONDS = 5;

/** Which counter refused a login: the client's lock on the account, the account closed to unknown clients, the client's limit. */
export type LoginRefusal = 'locked' | 'closed_to_unknown_client' | 'client_limited';

export interface LockStatus {
  locked: boolean;
  /** Remaining lock time in whole seconds (0 when not locked). */
  retryAfterSeconds: number;
}

/** A login attempt counted on every counter, awaiting its verdict (failed, succeeded or refund). */
export interface LoginAttempt {
  readonly keys: AttemptKeys;
  /** The counts this attempt brought each counter to (it was counted before the password check). */
  readonly pairCount: number;
  readonly allCount: number;
  readonly clientCount: number;
  /** The client signed into this account before (within KNOWN_CLIENT_TTL_DAYS). */
  readonly knownClient: boolean;
}

/**
 * How beginAttempt went: the attempt is counted (its verdict pending), or a counter refused it
 * before any password work: the client's own limit across accounts, or the account (`refusal`
 * says which of its counters).
 */
export type AttemptStart =
  | { kind: 'counted'; attempt: LoginAttempt }
  | { kind: 'client-throttled'; retryAfterSeconds: number }
  | { kind: 'account-locked'; refusal: Exclude<LoginRefusal, 'client_limited'>; retryAfterSeconds: number };

/** Whether a client may use the credential routes other than login, or is over its failure limit. */
export type ClientStanding = { kind: 'allowed' } | { kind: 'client-throttled'; retryAfterSeconds: number };

/** The lockout store (Redis) could not be reached: sign-in fails closed rather than uncounted. */
export class LockoutUnavailableError extends Error {
  readonly retryAfterSeconds = LOCKOUT_STORE_RETRY_AFTER_SECONDS;
  constructor() {
    super('The lockout store is unavailable.');
    this.name = 'LockoutUnavailableError';
  }
}

type Reply = [number, number, number?, number?];
type LockoutRedis = RedisClient & {
  lockoutClientBegin(key: string, limit: number, windowSeconds: number): Promise<Reply>;
  lockoutAccountBegin(
    pair: string,
    all: string,
    known: string,
    index: string,
    threshold: number,
    accountThreshold: number,
    windowSeconds: number,
    client: string,
  ): Promise<Reply>;
  lockoutAccountSuccess(
    pair: string,
    all: string,
    known: string,
    index: string,
    knownTtlSeconds: number,
    client: string,
  ): Promise<number>;
  lockoutRefund(numberOfKeys: number, ...keys: string[]): Promise<number>;
  lockoutRead(key: string): Promise<[number, number]>;
};

/**
 * Failed logins, counted in Redis at three levels ("client" is the address the rate limits see,
 * under the TRUST_PROXY rules), whether or not the account exists:
 *
 * - per account and client: at LOCKOUT_THRESHOLD failures that client is locked out of that
 *   account (423) for LOCKOUT_DURATION_SECONDS; its success resets it. Other clients are not
 *   affected, so an attacker cannot lock the owner out.
 * - per account, all clients: at LOCKOUT_ACCOUNT_THRESHOLD failures the account answers 423 to
 *   every client that has not logged into it within KNOWN_CLIENT_TTL_DAYS (distributed guessing).
 * - per client, all accounts: at LOGIN_CLIENT_FAILURE_LIMIT failures that client's credential
 *   routes answer 429 (spraying, stuffing).
 *
 * An attempt is counted on every counter before its password is checked and given back when it
 * was not a failure, so parallel guesses cannot overshoot a limit, and no password is checked once
 * a counter refuses. The account's keys share one Cluster hash tag and are read and written by one
 * script; the per-client counter spans accounts, so it lives in another slot and has a script call
 * of its own, made first: a client over its limit touches no account counter.
 * Redis failures fail closed: logins are refused rather than let through uncounted.
 */
@Injectable()
export class LockoutService {
  private readonly logger = new Logger('Lockout');
  readonly keys: LockoutKeys;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(lockoutConfig.KEY) private readonly config: ConfigType<typeof lockoutConfig>,
    private readonly metrics: MetricsService,
  ) {
    this.keys = new LockoutKeys(config.keyPepper);
    if (!('lockoutAccountBegin' in redis)) {
      redis.defineCommand('lockoutClientBegin', { numberOfKeys: 1, lua: CLIENT_BEGIN });
      redis.defineCommand('lockoutAccountBegin', { numberOfKeys: 4, lua: ACCOUNT_BEGIN });
      redis.defineCommand('lockoutAccountSuccess', { numberOfKeys: 4, lua: ACCOUNT_SUCCESS });
      redis.defineCommand('lockoutRefund', { lua: REFUND });
      redis.defineCommand('lockoutRead', { numberOfKeys: 1, lua: READ });
    }
  }

  /**
   * Call before any password work, with the attempt's keys (`keys.attempt(email, client)`, derived
   * once per attempt and also given to `isKnownClient`). Answers which counter refused, with the
   * seconds left, when one does; otherwise the attempt is counted as a failure on every counter
   * until `succeeded` or `refund`. Throws LockoutUnavailableError when Redis fails.
   */
  async beginAttempt(keys: AttemptKeys): Promise<AttemptStart> {
    const { threshold, accountThreshold, clientFailureLimit, durationSeconds } = this.config;
    const [clientRefused, clientCount] = await this.call(() =>
      this.commands.lockoutClientBegin(keys.byClient, clientFailureLimit, durationSeconds),
    );
    if (clientRefused === 1) {
      return { kind: 'client-throttled', retryAfterSeconds: this.remaining(clientCount) };
    }
    let reply: Reply;
    try {
      reply = await this.call(() =>
        this.commands.lockoutAccountBegin(
          keys.pair,
          keys.all,
          keys.known,
          keys.index,
          threshold,
          accountThreshold,
          durationSeconds,
          keys.clientDigest,
        ),
      );
    } catch (error) {
      await this.giveBack(keys.byClient);
      throw error;
    }
    const [refused, second, allCount = 0, known = 0] = reply;
    if (refused !== 0) {
      // Refused without a password check: not a failure of this client.
      await this.giveBack(keys.byClient);
      return {
        kind: 'account-locked',
        refusal: refused === 1 ? 'locked' : 'closed_to_unknown_client',
        retryAfterSeconds: this.remaining(second),
      };
    }
    return { kind: 'counted', attempt: { keys, pairCount: second, allCount, clientCount, knownClient: known === 1 } };
  }

  /**
   * Whether the client signed into this account before (within KNOWN_CLIENT_TTL_DAYS). Counts
   * nothing. Throws LockoutUnavailableError when Redis fails.
   */
  async isKnownClient(keys: AttemptKeys): Promise<boolean> {
    return (await this.call(() => this.redis.exists(keys.known))) === 1;
  }

  /**
   * The attempt's password was wrong (or the account unknown or disabled): it stays counted. Each
   * counter this attempt brought to its threshold is logged once, as a security event.
   */
  failed(attempt: LoginAttempt): void {
    const { keys } = attempt;
    const ids = { account: keys.accountTag, client: keys.clientDigest };
    if (attempt.pairCount === this.config.threshold) {
      this.lockEvent('account_client', ids, 'client locked out of one account');
    }
    if (attempt.allCount === this.config.accountThreshold) {
      this.lockEvent('account', ids, 'account closed to clients it does not know');
    }
    if (attempt.clientCount === this.config.clientFailureLimit) {
      this.lockEvent('client', { client: keys.clientDigest }, 'client over its failure limit on credential routes');
    }
  }

  /** Correct password: resets this client's counter, gives back the counts, makes the client known. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const { keys } = attempt;
    await this.call(() =>
      this.commands.lockoutAccountSuccess(
        keys.pair,
        keys.all,
        keys.known,
        keys.index,
        this.config.knownClientTtlSeconds,
        keys.clientDigest,
      ),
    );
    await this.giveBack(keys.byClient);
  }

  /** Un-counts an attempt whose password was never checked (the hashing bulkhead refused it, the database failed). */
  async refund(attempt: LoginAttempt): Promise<void> {
    const { keys } = attempt;
    await this.giveBack(keys.pair, keys.all);
    await this.giveBack(keys.byClient);
  }

  /**
   * For the credential routes other than login (refresh, logout): throttled while the client is
   * over its failure limit. Reads only: the counter the rate-limit check of `request` already read
   * in its script call (the routes carry @ReadWithRateLimit(clientFailuresKey)), or, when it did
   * not (rate limits counted in memory), a read of its own. With Redis unreachable it lets the request
   * through: these routes take a 256-bit random token, not a guessable password, and the rate
   * limits keep counting in memory meanwhile (login itself fails closed).
   */
  async clientStanding(client: string, request?: object): Promise<ClientStanding> {
    const key = this.keys.byClient(client);
    const read = request === undefined ? undefined : counterReadWithRateLimit(request, key);
    let reply: [number, number];
    try {
      reply = read ? [read.count, read.ttlSeconds] : await this.commands.lockoutRead(key);
    } catch (error) {
      this.logger.warn(`lockout store unavailable, client limit not checked: ${(error as Error).message}`);
      return { kind: 'allowed' };
    }
    const [count, ttl] = reply;
    if (count >= this.config.clientFailureLimit && ttl !== -2) {
      return { kind: 'client-throttled', retryAfterSeconds: this.remaining(ttl) };
    }
    return { kind: 'allowed' };
  }

  /** Whether `client` is locked out of the account of `email` (by its own failures). */
  async status(email: string, client: string): Promise<LockStatus> {
    const [count, ttl] = await this.call(() => this.commands.lockoutRead(this.keys.attempt(email, client).pair));
    const locked = count >= this.config.threshold && ttl !== -2;
    return { locked, retryAfterSeconds: locked ? this.remaining(ttl) : 0 };
  }

  /**
   * Admin unlock: forgets every counter and lock of the account, for every client (the account's
   * index names each client counter, so no SCAN is needed, on Cluster either: all of them share
   * the account's hash tag). Known clients stay known.
   */
  async clear(email: string): Promise<void> {
    const account = this.keys.accountKeys(email);
    await this.call(async () => {
      const clients = await this.redis.smembers(account.index);
      const keys = [account.all, account.index, ...clients.map((client) => `${account.pairPrefix}${client}`)];
      for (let i = 0; i < keys.length; i += 500) await this.redis.del(...keys.slice(i, i + 500));
    });
  }

  private get commands(): LockoutRedis {
    return this.redis as LockoutRedis;
  }

  /** TTL -1 (no expiry) cannot happen with the scripts; treat it, and races, as the full duration. */
  private remaining(ttl: number): number {
    return ttl > 0 ? ttl : this.config.durationSeconds;
  }

  private async giveBack(...keys: string[]): Promise<void> {
    await this.call(() => this.commands.lockoutRefund(keys.length, ...keys)).catch(() => undefined);
  }

  private lockEvent(scope: 'account_client' | 'account' | 'client', ids: Record<string, string>, what: string): void {
    this.metrics.lockout(scope);
    this.logger.warn({ event: 'login_lockout', scope, ...ids }, `security event: ${what}`);
  }

  /** Redis failures become LockoutUnavailableError: logins are refused rather than let through without lockout. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.logger.warn(`lockout store unavailable: ${(error as Error).message}`);
      throw new LockoutUnavailableError();
    }
  }
}

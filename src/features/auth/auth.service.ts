import { Injectable, OnModuleInit } from '@nestjs/common';
import { type ClientStanding, LockoutService, LockoutUnavailableError } from './lockout/lockout.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { AccessTokenService } from './tokens/access-token.service';
import type { User } from '../../generated/prisma/client';
import {
  IssuedRefreshToken,
  RefreshContext,
  RefreshTokenService,
  type RotationRefusal,
} from './tokens/refresh-token.service';
import type { TokenPairDto } from './dto/token-pair.dto';
import { HashingBusyError, normalizeEmail, UsersService, PasswordHasher } from '../users';

/**
 * What a login did: signed in, or why not. Refused is a wrong credential (unknown, disabled or
 * wrong password alike); account-locked and client-throttled are the lockout counters refusing
 * before any password work (`refusal` names the account's counter); lockout-unavailable and
 * hashing-busy are the gateway unable to judge the attempt now (never counted against anyone).
 */
export type LoginResult =
  | { kind: 'signed-in'; tokens: TokenPairDto }
  | { kind: 'refused'; reason: 'invalid-credentials' }
  | { kind: 'account-locked'; refusal: 'locked' | 'closed_to_unknown_client'; retryAfterSeconds: number }
  | { kind: 'client-throttled'; retryAfterSeconds: number }
  | { kind: 'lockout-unavailable'; retryAfterSeconds: number }
  | { kind: 'hashing-busy'; retryAfterSeconds: number };

/** What a refresh did: a new pair, or why the presented token gets none. */
export type RefreshResult = { kind: 'ok'; tokens: TokenPairDto } | { kind: 'refused'; why: RotationRefusal };

/** An address no account can have (the reserved .invalid domain), looked up once at boot. */
const WARM_UP_EMAIL = 'login-warm-up@gateway.invalid';

/** User lookups run at boot, one after another. */
const WARM_UP_LOOKUPS = 20;

/** How long the boot waits for the warm-up user lookups before it goes on without them. */
const LOGIN_WARM_UP_LOOKUP_MS = 3000;

@Injectable()
export class AuthService implements OnModuleInit {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly lockout: LockoutService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * The gateway reports ready only once the login path is warm: every hashing thread started (see
   * PasswordHasher.warmUp) and the user lookup run WARM_UP_LOOKUPS times. Prisma's query compiler
   * (wasm) is slow on its first uses (43-51 ms of event-loop CPU in a login flood's first 250 ms on
   * 2 cores); paid by the first logins of a flood, that stalled every request. A lookup that fails
   * (database not reachable yet) or lookups past LOGIN_WARM_UP_LOOKUP_MS do not hold the boot up:
   * the first logins pay instead.
   */
  async onModuleInit(): Promise<void> {
    await Promise.all([this.hasher.warmUp(), this.warmUserLookup()]);
  }

  private async warmUserLookup(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, LOGIN_WARM_UP_LOOKUP_MS);
      timer.unref();
    });
    let done = false;
    const lookups = (async () => {
      // Several in a row: the query compiler's wasm is tiered up by use, not by the first call.
      for (let i = 0; i < WARM_UP_LOOKUPS && !done; i += 1) await this.users.findByEmail(WARM_UP_EMAIL);
    })().catch(() => undefined);
    await Promise.race([lookups, deadline]);
    done = true;
    clearTimeout(timer);
  }

  /** `client`: the client address as the rate limits see it (clientAddress, TRUST_PROXY rules). */
  async login(email: string, password: string, client: string): Promise<LoginResult> {
    let result: LoginResult;
    try {
      result = await this.authenticate(email, password, client);
    } catch (error) {
      if (error instanceof HashingBusyError) {
        result = { kind: 'hashing-busy', retryAfterSeconds: error.retryAfterSeconds };
      } else if (error instanceof LockoutUnavailableError) {
        result = { kind: 'lockout-unavailable', retryAfterSeconds: error.retryAfterSeconds };
      } else {
        this.metrics.loginAttempt('unavailable');
        throw error;
      }
    }
    this.count(result);
    return result;
  }

  /** Every login is counted once by outcome; a client over its failure limit is a rate limit too. */
  private count(result: LoginResult): void {
    switch (result.kind) {
      case 'signed-in':
        this.metrics.loginAttempt('success');
        return;
      case 'refused':
        this.metrics.loginAttempt('invalid_credentials');
        return;
      case 'account-locked':
        this.metrics.loginAttempt(result.refusal);
        return;
      case 'client-throttled':
        this.metrics.loginAttempt('client_limited');
        this.metrics.rateLimited('login_failures');
        return;
      case 'lockout-unavailable':
      case 'hashing-busy':
        this.metrics.loginAttempt('unavailable');
        return;
    }
  }

  /**
   * Every lockout counter is checked (and the attempt counted) before any password work; a refusal
   * checks no password. A login that could not be hashed now (bulkhead full) is refused first; a
   * client known to the account may also take the places kept for such clients, which get every
   * other freed slot (HashingLanes). Unknown, disabled and wrong-password logins all cost one
   * argon2 verification, count one failure and get the same refusal.
   */
  private async authenticate(email: string, password: string, client: string): Promise<LoginResult> {
    const identifier = normalizeEmail(email);
    // Every hashing slot and queue place is taken, even those kept for known clients: refuse
    // (hashing-busy) before any other work, and without counting the attempt against anyone.
    this.hasher.assertCapacity('known');
    const keys = this.lockout.keys.attempt(identifier, client);
    // Only the places kept for clients known to the account are left: one Redis read decides
    // whether this client may take one, still before anything is counted.
    if (!this.hasher.hasRoom('shared') && !(await this.lockout.isKnownClient(keys))) {
      throw new HashingBusyError();
    }
    // Counts this attempt as a failure up front (unless a counter refuses); success gives it back.
    const start = await this.lockout.beginAttempt(keys);
    if (start.kind !== 'counted') return start;
    const { attempt } = start;
    let matches: boolean;
    let user: User | null;
    try {
      user = await this.users.findByEmail(identifier);
      matches = await this.hasher.verify(user?.passwordHash, password, attempt.knownClient ? 'known' : 'shared');
    } catch (error) {
      // Never judged (bulkhead full, database down): it must not count against anyone.
      await this.lockout.refund(attempt);
      throw error;
    }
    if (!user || !matches || user.disabled) {
      this.lockout.failed(attempt);
      return { kind: 'refused', reason: 'invalid-credentials' };
    }
    await this.lockout.succeeded(attempt);
    return { kind: 'signed-in', tokens: await this.pair(user, await this.refreshTokens.issue(user.id)) };
  }

  /**
   * Refresh and logout are credential routes too: closed to a client over its failure limit.
   * `request`: the HTTP request, whose rate-limit check may already have read the counter.
   */
  async clientStanding(client: string, request?: object): Promise<ClientStanding> {
    const standing = await this.lockout.clientStanding(client, request);
    if (standing.kind === 'client-throttled') this.metrics.rateLimited('login_failures');
    return standing;
  }

  async refresh(refreshToken: string, context: RefreshContext): Promise<RefreshResult> {
    const rotation = await this.refreshTokens.rotate(refreshToken, context);
    if (rotation.kind === 'refused') return rotation;
    const rotated = rotation.token;
    // The rotation statement itself required the user to be enabled and read the role: no second
    // round trip. Access tokens are re-checked against the user row on every request anyway.
    if (rotated.role && rotated.sessionVersion !== undefined) {
      const user = { id: rotated.userId, role: rotated.role, sessionVersion: rotated.sessionVersion };
      return { kind: 'ok', tokens: await this.pair(user, rotated) };
    }
    const user = await this.users.findById(rotated.userId);
    if (!user || user.disabled) {
      // Disabled between the rotation and now: end everything.
      await this.refreshTokens.revokeAllForUser(rotated.userId, 'user_disabled');
      return { kind: 'refused', why: 'invalid' };
    }
    return { kind: 'ok', tokens: await this.pair(user, rotated) };
  }

  logout(refreshToken: string): Promise<void> {
    return this.refreshTokens.revokeFamilyOf(refreshToken);
  }

  private async pair(
    user: { id: string; role: 'user' | 'admin'; sessionVersion: number },
    refresh: IssuedRefreshToken,
  ): Promise<TokenPairDto> {
    const access = await this.accessTokens.issue({ id: user.id, role: user.role, sessionVersion: user.sessionVersion });
    return {
      accessToken: access.token,
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      refreshExpiresIn: refresh.expiresIn,
    };
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { LockoutService } from './lockout/lockout.service';
import { LoginOutcome, MetricsService } from '../../platform/metrics/metrics.service';
import { AccessTokenService } from './tokens/access-token.service';
import type { User } from '../../generated/prisma/client';
import {
  IssuedRefreshToken,
  RefreshContext,
  RefreshTokenService,
  RotationRefusal,
} from './tokens/refresh-token.service';
import { normalizeEmail } from './credentials/email';
import { UsersService } from '../users/users.service';
import type { TokenPairDto } from './dto/token-pair.dto';
import { PasswordHasher } from './credentials/password-hasher';

/**
 * What a login did. Unknown, disabled and wrong-password logins are all `invalid-credentials`.
 * Infrastructure trouble (the lockout store or the hashing bulkhead) is thrown, never answered:
 * the attempt was not judged.
 */
export type LoginResult =
  | { kind: 'ok'; tokens: TokenPairDto }
  | { kind: 'invalid-credentials' }
  | { kind: 'locked'; retryAfterSeconds: number };

/** What a refresh did: a new pair, or why the presented token gets none. */
export type RefreshResult = { kind: 'ok'; tokens: TokenPairDto } | { kind: 'refused'; why: RotationRefusal };

/** How a login is counted in gateway_login_attempts_total. */
const LOGIN_METRIC: Record<LoginResult['kind'], LoginOutcome> = {
  ok: 'success',
  'invalid-credentials': 'invalid_credentials',
  locked: 'locked',
};

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

  onModuleInit(): Promise<void> {
    return this.hasher.warmUp();
  }

  async login(email: string, password: string): Promise<LoginResult> {
    let result: LoginResult;
    try {
      result = await this.authenticate(email, password);
    } catch (error) {
      this.metrics.loginAttempt('unavailable');
      throw error;
    }
    this.metrics.loginAttempt(LOGIN_METRIC[result.kind]);
    return result;
  }

  /**
   * The lock is checked (and the attempt counted) before any password work; unknown, disabled and
   * wrong-password logins all cost one argon2 verification, count one failure and get the same answer.
   */
  private async authenticate(email: string, password: string): Promise<LoginResult> {
    const identifier = normalizeEmail(email);
    // Counts this attempt as a failure up front (or answers locked); success clears it.
    const attempt = await this.lockout.beginAttempt(identifier);
    if (attempt.kind === 'locked') return attempt;
    let matches: boolean;
    let user: User | null;
    try {
      user = await this.users.findByEmail(identifier);
      matches = await this.hasher.verify(user?.passwordHash, password);
    } catch (error) {
      // Never judged (bulkhead full, database down): it must not count against the account.
      await this.lockout.refund(identifier).catch(() => undefined);
      throw error;
    }
    if (!user || !matches || user.disabled) {
      if (attempt.locksOnFailure) this.metrics.accountLocked();
      return { kind: 'invalid-credentials' };
    }
    await this.lockout.clear(identifier);
    return { kind: 'ok', tokens: await this.pair(user, await this.refreshTokens.issue(user.id)) };
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

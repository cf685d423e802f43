import { Injectable, OnModuleInit } from '@nestjs/common';
import { LockoutService, LoginRefused } from './lockout/lockout.service';
import { LoginOutcome, MetricsService } from '../../platform/metrics/metrics.service';
import { AccessTokenService } from './tokens/access-token.service';
import type { User } from '../../generated/prisma/client';
import {
  IssuedRefreshToken,
  RefreshContext,
  RefreshTokenService,
  type RotationRefusal,
} from './tokens/refresh-token.service';
import { ErrorCode, problem, ProblemException } from '../../platform/problems';
import type { TokenPairDto } from './dto/token-pair.dto';
import { normalizeEmail, UsersService, PasswordHasher } from '../users';

export function invalidCredentials(): ProblemException {
  return problem(ErrorCode.INVALID_CREDENTIALS);
}

/** What a refresh did: a new pair, or why the presented token gets none. */
export type RefreshResult = { kind: 'ok'; tokens: TokenPairDto } | { kind: 'refused'; why: RotationRefusal };

/** How a failed login is counted: which counter refused it, a wrong credential, or everything else (503s). */
function loginOutcomeOf(error: unknown): LoginOutcome {
  if (error instanceof LoginRefused) return error.refusal;
  const code = error instanceof ProblemException ? error.code : undefined;
  if (code === ErrorCode.INVALID_CREDENTIALS) return 'invalid_credentials';
  return 'unavailable';
}

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

  /** `client`: the client address as the rate limits see it (clientAddress, TRUST_PROXY rules). */
  async login(email: string, password: string, client: string): Promise<TokenPairDto> {
    try {
      const pair = await this.authenticate(email, password, client);
      this.metrics.loginAttempt('success');
      return pair;
    } catch (error) {
      this.metrics.loginAttempt(loginOutcomeOf(error));
      if (error instanceof LoginRefused) {
        if (error.refusal === 'client_limited') this.metrics.rateLimited('login_failures');
        throw error.problem;
      }
      throw error;
    }
  }

  /**
   * Every lockout counter is checked (and the attempt counted) before any password work; a refusal
   * checks no password. A login that could not be hashed now (bulkhead full) is refused first. Unknown, disabled and wrong-password logins all cost one argon2
   * verification, count one failure and get the same 401.
   */
  private async authenticate(email: string, password: string, client: string): Promise<TokenPairDto> {
    const identifier = normalizeEmail(email);
    // Every hashing slot and queue place is taken: refuse (503) before any other work, and without
    // counting the attempt against anyone (it would be refunded anyway).
    this.hasher.assertCapacity();
    // Counts this attempt as a failure up front (429/423 if a counter refuses); success gives it back.
    const attempt = await this.lockout.beginAttempt(identifier, client);
    let matches: boolean;
    let user: User | null;
    try {
      user = await this.users.findByEmail(identifier);
      matches = await this.hasher.verify(user?.passwordHash, password);
    } catch (error) {
      // Never judged (bulkhead full, database down): it must not count against anyone.
      await this.lockout.refund(attempt);
      throw error;
    }
    if (!user || !matches || user.disabled) {
      this.lockout.failed(attempt);
      throw invalidCredentials();
    }
    await this.lockout.succeeded(attempt);
    return this.pair(user, await this.refreshTokens.issue(user.id));
  }

  /** Refresh and logout are credential routes too: closed (429) to a client over its failure limit. */
  async assertClientAllowed(client: string): Promise<void> {
    try {
      await this.lockout.assertClientAllowed(client);
    } catch (error) {
      if (error instanceof ProblemException && error.code === ErrorCode.RATE_LIMITED) {
        this.metrics.rateLimited('login_failures');
      }
      throw error;
    }
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

import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { timeOrderedUuid } from '../../../platform/database/time-ordered-id';
import type { ConfigType } from '@nestjs/config';
import type { Prisma } from '../../../generated/prisma/client';
import { UserIdentities } from '../identity/user-identities';
import { MetricsService } from '../../../platform/metrics/metrics.service';
import { candidateHashes, generateRefreshToken, hashesEqual, hashRefreshToken } from './refresh-token-hash';
import { RefreshTokenRepository, type RevokeReason } from './refresh-token.repository';
import { tokensConfig } from './tokens.config';

export type { RevokeReason } from './refresh-token.repository';

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  userId: string;
  /** Seconds until the family's absolute expiry. */
  expiresIn: number;
  /** The user's role as read by the rotation statement (which also checked the user is enabled). */
  role?: 'user' | 'admin';
  /** The user's session version, read by the same statement (the new access token carries it). */
  sessionVersion?: number;
}

/** Where a refresh request came from, for the security log. */
export interface RefreshContext {
  clientIp?: string;
}

const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;
const CLEANUP_BATCH = 1000;
const CLEANUP_MAX_BATCHES = 20;

/**
 * Why a presented refresh token gets no successor: `invalid` (unknown, expired, revoked, or its
 * user disabled), `already-rotated` (a retired token presented again within the grace window: a
 * benign retry, the family lives on), `reused` (a retired token outside it: the family is revoked).
 */
export type RotationRefusal = 'invalid' | 'already-rotated' | 'reused';

export type Rotation = { kind: 'rotated'; token: IssuedRefreshToken } | { kind: 'refused'; why: RotationRefusal };

/**
 * Opaque refresh tokens in families: issue, rotate, revoke, and the refusal policy (reuse of a
 * retired token revokes its family; a retry within the grace window does not). Presenting a
 * retired token is reuse. The SQL, and why rotation and revocation cannot race, is in
 * RefreshTokenRepository.
 */
@Injectable()
export class RefreshTokenService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RefreshTokens');
  private readonly config: ConfigType<typeof tokensConfig>['refresh'];
  private readonly peppers: string[];
  private cleanupTimer?: NodeJS.Timeout;

  constructor(
    private readonly repository: RefreshTokenRepository,
    @Inject(tokensConfig.KEY) config: ConfigType<typeof tokensConfig>,
    private readonly identities: UserIdentities,
    private readonly metrics: MetricsService,
  ) {
    this.config = config.refresh;
    this.peppers = [this.config.pepper, ...this.config.previousPeppers];
  }

  onModuleInit(): void {
    this.cleanupTimer = setInterval(() => {
      this.deleteExpired().catch((error: unknown) =>
        this.logger.warn(`refresh-token cleanup failed: ${(error as Error).message}`),
      );
    }, CLEANUP_INTERVAL_MS);
    this.cleanupTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
  }

  /** Starts a new family (a login). */
  async issue(userId: string): Promise<IssuedRefreshToken> {
    const token = generateRefreshToken();
    const familyId = timeOrderedUuid();
    const tokenHash = hashRefreshToken(token, this.config.pepper);
    const ttlSeconds = this.config.ttlSeconds;
    await this.repository.createFamily({ familyId, userId, tokenHash, ttlSeconds });
    return { token, familyId, userId, expiresIn: ttlSeconds };
  }

  /**
   * Retires `token` and answers its successor (same family, same absolute expiry), or why there is
   * none (a retired token outside the grace window is reuse: its family is revoked first).
   */
  async rotate(token: string, context: RefreshContext = {}): Promise<Rotation> {
    const hashes = candidateHashes(token, this.peppers);
    const successor = generateRefreshToken();
    const successorHash = hashRefreshToken(successor, this.config.pepper);
    const row = await this.repository.rotate(hashes, successorHash);
    if (row && hashes.some((h) => hashesEqual(h, row.token_hash))) {
      this.metrics.refreshRotated();
      return {
        kind: 'rotated',
        token: {
          token: successor,
          familyId: row.family_id,
          userId: row.user_id,
          role: row.role,
          sessionVersion: row.session_version,
          expiresIn: Math.max(1, Math.floor((row.expires_at.getTime() - Date.now()) / 1000)),
        },
      };
    }
    return { kind: 'refused', why: await this.refusal(hashes, context) };
  }

  /** Revokes the whole family of `token` (logout). Unknown tokens are ignored: logout is idempotent. */
  async revokeFamilyOf(token: string): Promise<void> {
    const hashes = candidateHashes(token, this.peppers);
    await this.repository.revokeFamiliesOfTokens(hashes, 'logout');
  }

  /** Revokes one family; returns how many tokens that ended. */
  revokeFamily(familyId: string, reason: RevokeReason): Promise<number> {
    return this.repository.revokeFamily(familyId, reason);
  }

  /**
   * Revokes every refresh family of a user (disable, revoke-sessions) and every access token issued
   * so far (the user's session version moves on, in the same transaction); every instance applies
   * it at the user's next request. `alsoInTransaction` (e.g. an audit insert) commits or rolls back
   * with the revocation. Returns how many refresh tokens that ended.
   */
  async revokeAllForUser(
    userId: string,
    reason: RevokeReason,
    alsoInTransaction: Prisma.PrismaPromise<unknown>[] = [],
  ): Promise<number> {
    const ended = await this.repository.revokeAllForUser(userId, reason, alsoInTransaction);
    await this.identities.invalidate(userId);
    return ended;
  }

  /**
   * Deletes expired families in bounded batches; their tokens go with them (ON DELETE CASCADE).
   * Returns how many families were deleted.
   */
  async deleteExpired(batchSize = CLEANUP_BATCH, maxBatches = CLEANUP_MAX_BATCHES): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i += 1) {
      const deleted = await this.repository.deleteExpiredBatch(batchSize);
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  }

  /** Works out why a rotation failed, revoking what must be revoked. */
  private async refusal(hashes: string[], context: RefreshContext): Promise<RotationRefusal> {
    const grace = this.config.reuseGraceSeconds;
    const row = await this.repository.diagnose(hashes, grace);
    if (!row || !hashes.some((h) => hashesEqual(h, row.token_hash))) return 'invalid';
    if (row.user_disabled) {
      await this.revokeAllForUser(row.user_id, 'user_disabled');
      return 'invalid';
    }
    if (row.expired) return 'invalid';
    if (row.used) {
      // A retry within the grace window (e.g. a client that lost the first answer) is benign:
      // it gets nothing new and the family lives on, unless the family was already revoked.
      if (grace > 0 && row.within_grace && !row.revoked) return 'already-rotated';
      await this.repository.revokeFamily(row.family_id, 'reuse_detected');
      this.metrics.refreshReuseDetected();
      this.logger.warn(
        { event: 'refresh_token_reuse', userId: row.user_id, familyId: row.family_id, clientIp: context.clientIp },
        'security event: refresh token reuse detected; family revoked',
      );
      return 'reused';
    }
    return 'invalid';
  }
}

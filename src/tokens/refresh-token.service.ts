import { HttpStatus, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { PrismaService } from '../database/prisma.service';
import { Prisma } from '../generated/prisma/client';
import { MetricsService } from '../metrics/metrics.service';
import { ErrorCode, ProblemException } from '../validation/problem';
import { candidateHashes, generateRefreshToken, hashesEqual, hashRefreshToken } from './refresh-token-hash';

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  userId: string;
  /** Seconds until the family's absolute expiry. */
  expiresIn: number;
  /** The user's role as read by the rotation statement (which also checked the user is enabled). */
  role?: 'user' | 'admin';
}

export type RevokeReason = 'logout' | 'reuse_detected' | 'user_disabled' | 'sessions_revoked';

/** Where a refresh request came from, for the security log. */
export interface RefreshContext {
  clientIp?: string;
}

interface RotatedRow {
  role: 'user' | 'admin';
  user_id: string;
  family_id: string;
  expires_at: Date;
  token_hash: string;
}

interface DiagnosisRow {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  used: boolean;
  revoked: boolean;
  expired: boolean;
  within_grace: boolean;
  user_disabled: boolean;
}

const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;
const CLEANUP_BATCH = 1000;
const CLEANUP_MAX_BATCHES = 20;

export function refreshTokenInvalid(detail = 'The refresh token is invalid, expired or revoked.'): ProblemException {
  return new ProblemException(HttpStatus.UNAUTHORIZED, ErrorCode.TOKEN_INVALID, 'Unauthorized', { detail });
}

/**
 * Opaque refresh tokens in families. Rotation is one SQL statement: a compare-and-swap that
 * retires the presented token only if it is still live, and the insert of its successor, so of
 * any number of concurrent uses exactly one wins and a family never forks (parent_id is also
 * unique in the table). Presenting a retired token is reuse: the family is revoked.
 *
 * Rotation and revocation serialize on the family's row in `refresh_families`. Revoking only
 * token rows is not enough under READ COMMITTED: a revoking UPDATE that waits for the row a
 * rotation is retiring re-checks that row once the rotation commits, but the successor the
 * rotation inserted is not in the UPDATE's snapshot, so it would stay live. Instead:
 * - rotation locks the family row (FOR NO KEY UPDATE) and requires `revoked_at IS NULL` in the
 *   same statement that retires the token and inserts the successor; a lock that had to wait
 *   for a revocation re-evaluates that condition on the committed row and finds it revoked;
 * - revocation (every path) runs in one READ COMMITTED transaction: first it marks the family
 *   row revoked (waiting, if need be, for an in-flight rotation of that family to commit), then,
 *   in a later statement with a fresh snapshot that therefore contains any successor committed
 *   meanwhile, it revokes the family's tokens.
 * A rotation either commits before the family row is marked (and its successor is revoked by
 * the second statement) or runs after (and refuses). Both lock the family before any token row,
 * so the two cannot deadlock.
 */
@Injectable()
export class RefreshTokenService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RefreshTokens');
  private readonly peppers: string[];
  private cleanupTimer?: NodeJS.Timeout;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(ENV) private readonly env: Env,
    private readonly metrics: MetricsService,
  ) {
    this.peppers = [env.REFRESH_TOKEN_PEPPER, ...env.REFRESH_TOKEN_PEPPER_PREVIOUS];
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
    const familyId = randomUUID();
    const tokenHash = hashRefreshToken(token, this.env.REFRESH_TOKEN_PEPPER);
    // The family row and its first token in one statement (one round trip, nothing half-made).
    await this.prisma.$executeRaw`
      WITH family AS (
        INSERT INTO refresh_families (id, user_id, expires_at)
        VALUES (${familyId}::uuid, ${userId}::uuid,
                now() + make_interval(secs => ${this.env.REFRESH_TOKEN_TTL_SECONDS}::int))
        RETURNING id, user_id, expires_at
      )
      INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, expires_at)
      SELECT ${randomUUID()}::uuid, ${tokenHash}, id, user_id, expires_at FROM family`;
    return { token, familyId, userId, expiresIn: this.env.REFRESH_TOKEN_TTL_SECONDS };
  }

  /**
   * Retires `token` and returns its successor (same family, same absolute expiry). Throws
   * 401 TOKEN_REUSED for a retired token (revoking the family) and 401 TOKEN_INVALID otherwise.
   */
  async rotate(token: string, context: RefreshContext = {}): Promise<IssuedRefreshToken> {
    const hashes = candidateHashes(token, this.peppers);
    const successor = generateRefreshToken();
    const successorHash = hashRefreshToken(successor, this.env.REFRESH_TOKEN_PEPPER);
    // `family` takes the family's row lock before any token row is locked (the retiring UPDATE
    // needs its result to qualify a row); see the class comment for why this closes the race.
    const rows = await this.prisma.$queryRaw<RotatedRow[]>`
      WITH family AS (
        SELECT f.id FROM refresh_families AS f
         WHERE f.id IN (SELECT family_id FROM refresh_tokens WHERE token_hash = ANY(${hashes}::text[]))
           AND f.revoked_at IS NULL
           AND f.expires_at > now()
           FOR NO KEY UPDATE
      ),
      retired AS (
        UPDATE refresh_tokens AS rt
           SET used_at = now()
         WHERE rt.token_hash = ANY(${hashes}::text[])
           AND rt.family_id IN (SELECT id FROM family)
           AND rt.used_at IS NULL
           AND rt.revoked_at IS NULL
           AND rt.expires_at > now()
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = rt.user_id AND NOT u.disabled)
        RETURNING rt.id, rt.family_id, rt.user_id, rt.expires_at, rt.token_hash,
                  (SELECT u.role::text FROM users u WHERE u.id = rt.user_id) AS role
      )
      INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, parent_id, expires_at)
      SELECT ${randomUUID()}::uuid, ${successorHash}, family_id, user_id, id, expires_at FROM retired
      RETURNING user_id::text AS user_id, family_id::text AS family_id, expires_at,
                (SELECT token_hash FROM retired) AS token_hash, (SELECT role FROM retired) AS role`;
    const row = rows[0];
    if (row && hashes.some((h) => hashesEqual(h, row.token_hash))) {
      this.metrics.refreshRotated();
      return {
        token: successor,
        familyId: row.family_id,
        userId: row.user_id,
        role: row.role,
        expiresIn: Math.max(1, Math.floor((row.expires_at.getTime() - Date.now()) / 1000)),
      };
    }
    throw await this.refusal(hashes, context);
  }

  /** Revokes the whole family of `token` (logout). Unknown tokens are ignored: logout is idempotent. */
  async revokeFamilyOf(token: string): Promise<void> {
    const hashes = candidateHashes(token, this.peppers);
    const families = Prisma.sql`
      SELECT family_id FROM refresh_tokens WHERE token_hash = ANY(${hashes}::text[])`;
    await this.revoke(families, 'logout');
  }

  /** Revokes one family; returns how many tokens that ended. */
  async revokeFamily(familyId: string, reason: RevokeReason): Promise<number> {
    return this.revoke(Prisma.sql`SELECT ${familyId}::uuid`, reason);
  }

  /** Revokes every refresh family of a user (disable, revoke-sessions); returns how many tokens that ended. */
  async revokeAllForUser(userId: string, reason: RevokeReason): Promise<number> {
    return this.revoke(Prisma.sql`SELECT id FROM refresh_families WHERE user_id = ${userId}::uuid`, reason);
  }

  /**
   * Revokes the families whose ids `familyIds` (a subquery) selects, then their tokens. Two
   * statements in one READ COMMITTED transaction, in this order, on purpose: the first waits for
   * any in-flight rotation of those families (it holds the family row) and stops every later
   * one; the second takes a new snapshot, so it sees and revokes a successor that rotation
   * committed while the first statement waited. A family already revoked keeps its reason.
   */
  private async revoke(familyIds: Prisma.Sql, reason: RevokeReason): Promise<number> {
    const [, tokens] = await this.prisma.$transaction(
      [
        this.prisma.$executeRaw`
          UPDATE refresh_families SET revoked_at = now(), revoke_reason = ${reason}
           WHERE id IN (${familyIds}) AND revoked_at IS NULL`,
        this.prisma.$executeRaw`
          UPDATE refresh_tokens AS t SET revoked_at = f.revoked_at, revoke_reason = f.revoke_reason
            FROM refresh_families AS f
           WHERE f.id IN (${familyIds}) AND t.family_id = f.id
             AND f.revoked_at IS NOT NULL AND t.revoked_at IS NULL`,
      ],
      { isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted },
    );
    return tokens;
  }

  /**
   * Deletes expired families in bounded batches; their tokens go with them (ON DELETE CASCADE).
   * Returns how many families were deleted.
   */
  async deleteExpired(batchSize = CLEANUP_BATCH, maxBatches = CLEANUP_MAX_BATCHES): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i += 1) {
      const deleted = await this.prisma.$executeRaw`
        DELETE FROM refresh_families WHERE id IN (
          SELECT id FROM refresh_families WHERE expires_at <= now() ORDER BY expires_at LIMIT ${batchSize})`;
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  }

  /** Works out why a rotation failed, revoking what must be revoked. */
  private async refusal(hashes: string[], context: RefreshContext): Promise<ProblemException> {
    const grace = this.env.REFRESH_REUSE_GRACE_SECONDS;
    const rows = await this.prisma.$queryRaw<DiagnosisRow[]>`
      SELECT rt.id::text AS id, rt.user_id::text AS user_id, rt.family_id::text AS family_id, rt.token_hash,
             rt.used_at IS NOT NULL AS used,
             (rt.revoked_at IS NOT NULL OR f.revoked_at IS NOT NULL) AS revoked,
             (rt.expires_at <= now() OR f.expires_at <= now()) AS expired,
             (rt.used_at IS NOT NULL AND rt.used_at > now() - make_interval(secs => ${grace}::int)) AS within_grace,
             u.disabled AS user_disabled
        FROM refresh_tokens rt JOIN refresh_families f ON f.id = rt.family_id JOIN users u ON u.id = rt.user_id
       WHERE rt.token_hash = ANY(${hashes}::text[])
       LIMIT 1`;
    const row = rows[0];
    if (!row || !hashes.some((h) => hashesEqual(h, row.token_hash))) return refreshTokenInvalid();
    if (row.user_disabled) {
      await this.revokeAllForUser(row.user_id, 'user_disabled');
      return refreshTokenInvalid();
    }
    if (row.expired) return refreshTokenInvalid();
    if (row.used) {
      // A retry within the grace window (e.g. a client that lost the first answer) is benign:
      // it gets nothing new and the family lives on, unless the family was already revoked.
      if (grace > 0 && row.within_grace && !row.revoked) {
        return refreshTokenInvalid('This refresh token was already rotated. Use the newest one.');
      }
      await this.revokeFamily(row.family_id, 'reuse_detected');
      this.metrics.refreshReuseDetected();
      this.logger.warn(
        { event: 'refresh_token_reuse', userId: row.user_id, familyId: row.family_id, clientIp: context.clientIp },
        'security event: refresh token reuse detected; family revoked',
      );
      return new ProblemException(HttpStatus.UNAUTHORIZED, ErrorCode.TOKEN_REUSED, 'Unauthorized', {
        detail: 'This refresh token was already used. All sessions of this login have been ended.',
      });
    }
    return refreshTokenInvalid();
  }
}

import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../../platform/database/prisma.service';
import { timeOrderedUuid } from '../../../platform/database/time-ordered-id';
import { Prisma } from '../../../generated/prisma/client';

export type RevokeReason = 'logout' | 'reuse_detected' | 'user_disabled' | 'sessions_revoked';

/**
 * Rotation: $1 the candidate hashes of the presented token, $2 the successor's id, $3 its hash. The
 * statements are the database's function (migration 20261204090000_refresh_rotation), so each
 * connection plans them once; exported for the test that holds their plans to index lookups.
 */
export const ROTATE_SQL = 'SELECT * FROM gateway_rotate_refresh_token($1::text[], $2::uuid, $3::text)';

/** The token a rotation retired, and the family its successor joined. */
export interface RotatedRow {
  role: 'user' | 'admin';
  session_version: number;
  user_id: string;
  family_id: string;
  expires_at: Date;
  token_hash: string;
}

/** Why a presented token did not rotate: what its row and its family say now. */
export interface DiagnosisRow {
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

/**
 * The SQL of refresh-token families. Rotation is one call (one statement of the caller, so one
 * transaction): a compare-and-swap that retires the presented token only if it is still live, and
 * the insert of its successor, so of any number of concurrent uses exactly one wins and a family
 * never forks (parent_id is also unique in the table).
 *
 * Rotation and revocation serialize on the family's row in `refresh_families`. Revoking only
 * token rows is not enough under READ COMMITTED: a revoking UPDATE that waits for the row a
 * rotation is retiring re-checks that row once the rotation commits, but the successor the
 * rotation inserted is not in the UPDATE's snapshot, so it would stay live. Instead:
 * - rotation locks the family row (FOR NO KEY UPDATE) and requires `revoked_at IS NULL` before,
 *   in the same transaction, it retires the token and inserts the successor; a lock that had to
 *   wait for a revocation re-evaluates that condition on the committed row and finds it revoked,
 *   and the retiring UPDATE, a later statement, sees what a rotation that held the lock before
 *   committed (the token already used: no second successor);
 * - revocation (every path) runs in one READ COMMITTED transaction: first it marks the family
 *   row revoked (waiting, if need be, for an in-flight rotation of that family to commit), then,
 *   in a later statement with a fresh snapshot that therefore contains any successor committed
 *   meanwhile, it revokes the family's tokens.
 * A rotation either commits before the family row is marked (and its successor is revoked by
 * the second statement) or runs after (and refuses). Both lock the family before any token row,
 * so the two cannot deadlock.
 */
@Injectable()
export class RefreshTokenRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A new family and its first token, in one statement (one round trip, nothing half-made). */
  async createFamily(input: {
    familyId: string;
    userId: string;
    tokenHash: string;
    ttlSeconds: number;
  }): Promise<void> {
    await this.prisma.$executeRaw`
      WITH family AS (
        INSERT INTO refresh_families (id, user_id, expires_at)
        VALUES (${input.familyId}::uuid, ${input.userId}::uuid,
                now() + make_interval(secs => ${input.ttlSeconds}::int))
        RETURNING id, user_id, expires_at
      )
      INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, expires_at)
      SELECT ${timeOrderedUuid()}::uuid, ${input.tokenHash}, id, user_id, expires_at FROM family`;
  }

  /**
   * Retires the live token whose hash is one of `hashes` and inserts `successorHash` in its
   * family; undefined if no token was live (or its family is revoked or expired, or its user
   * disabled). The function locks the family's row before it touches any token row; see the class
   * comment for why this closes the race.
   *
   * One statement on the pool (one round trip, no BEGIN/COMMIT: a single statement is its own
   * transaction), not through Prisma's query compiler, whose CPU per call was a large part of a
   * refresh. The function's statements each read one table by a key it is given, with sequential
   * scans off, and plpgsql keeps their plans for the connection: planned once, never a whole-table
   * scan however small the tables were when they were planned (a generic plan of the former
   * single statement, made while the tables were small, scanned `refresh_tokens` whole on every
   * refresh; docs/performance.md, "The rotation's plan"). The call itself reads no table, so in
   * session pool mode it is a named statement too.
   */
  async rotate(hashes: string[], successorHash: string): Promise<RotatedRow | undefined> {
    const values = [hashes, timeOrderedUuid(), successorHash];
    const { rows } = await this.prisma.pool.query<RotatedRow>(
      this.prisma.namedStatements ? { name: 'refresh_rotate', text: ROTATE_SQL, values } : { text: ROTATE_SQL, values },
    );
    return rows[0];
  }

  /**
   * The state of the token whose hash is one of `hashes`, read after a failed rotation;
   * `within_grace` says it was used less than `graceSeconds` ago.
   */
  async diagnose(hashes: string[], graceSeconds: number): Promise<DiagnosisRow | undefined> {
    const rows = await this.prisma.$queryRaw<DiagnosisRow[]>`
      SELECT rt.id::text AS id, rt.user_id::text AS user_id, rt.family_id::text AS family_id, rt.token_hash,
             rt.used_at IS NOT NULL AS used,
             (rt.revoked_at IS NOT NULL OR f.revoked_at IS NOT NULL) AS revoked,
             (rt.expires_at <= now() OR f.expires_at <= now()) AS expired,
             (rt.used_at IS NOT NULL AND rt.used_at > now() - make_interval(secs => ${graceSeconds}::int)) AS within_grace,
             u.disabled AS user_disabled
        FROM refresh_tokens rt JOIN refresh_families f ON f.id = rt.family_id JOIN users u ON u.id = rt.user_id
       WHERE rt.token_hash = ANY(${hashes}::text[])
       LIMIT 1`;
    return rows[0];
  }

  /** Revokes the families of the tokens whose hash is one of `hashes`; returns how many tokens that ended. */
  revokeFamiliesOfTokens(hashes: string[], reason: RevokeReason): Promise<number> {
    return this.revoke(
      Prisma.sql`SELECT family_id FROM refresh_tokens WHERE token_hash = ANY(${hashes}::text[])`,
      reason,
    );
  }

  /** Revokes one family; returns how many tokens that ended. */
  revokeFamily(familyId: string, reason: RevokeReason): Promise<number> {
    return this.revoke(Prisma.sql`SELECT ${familyId}::uuid`, reason);
  }

  /**
   * Revokes every family of a user and, in the same transaction, moves the user's session version
   * on (every access token issued before now carries a lower `sv`); returns how many tokens that
   * ended. `alsoInTransaction` (e.g. an audit insert) runs as further statements of that transaction.
   */
  revokeAllForUser(
    userId: string,
    reason: RevokeReason,
    alsoInTransaction: Prisma.PrismaPromise<unknown>[] = [],
  ): Promise<number> {
    return this.revoke(Prisma.sql`SELECT id FROM refresh_families WHERE user_id = ${userId}::uuid`, reason, [
      this.prisma.$executeRaw`UPDATE users SET session_version = session_version + 1 WHERE id = ${userId}::uuid`,
      ...alsoInTransaction,
    ]);
  }

  /**
   * Revokes the families whose ids `familyIds` (a subquery) selects, then their tokens. Two
   * statements in one READ COMMITTED transaction, in this order, on purpose: the first waits for
   * any in-flight rotation of those families (it holds the family row) and stops every later
   * one; the second takes a new snapshot, so it sees and revokes a successor that rotation
   * committed while the first statement waited. A family already revoked keeps its reason.
   */
  private async revoke(
    familyIds: Prisma.Sql,
    reason: RevokeReason,
    alsoInTransaction: Prisma.PrismaPromise<unknown>[] = [],
  ): Promise<number> {
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
        ...alsoInTransaction,
      ],
      { isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted },
    );
    return tokens;
  }

  /** Deletes up to `batchSize` expired families (their tokens go with them: ON DELETE CASCADE). */
  deleteExpiredBatch(batchSize: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM refresh_families WHERE id IN (
        SELECT id FROM refresh_families WHERE expires_at <= now() ORDER BY expires_at LIMIT ${batchSize})`;
  }
}

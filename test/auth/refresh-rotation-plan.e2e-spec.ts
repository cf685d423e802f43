import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ROTATE_SQL } from '../../src/features/auth/tokens/refresh-token.repository';
import { createScratchDatabase, ScratchDatabase } from '../helpers/database';

/**
 * The rotation's plans on one connection as the token tables grow. A connection that planned the
 * rotation while the tables were small must not keep a plan that scans them whole once they are
 * large: a prepared rotation once kept a generic plan that read `refresh_tokens` sequentially on
 * every refresh until the next ANALYZE. Here the rotation runs as the gateway runs it in session
 * pool mode (a named statement, so whatever the connection caches is reused), ten times on tables
 * of one row each, then the tables grow to thousands of rows without an ANALYZE (autovacuum is off
 * on this suite's own database) and the same connection rotates again; PostgreSQL's own count of
 * sequential scans in that transaction must stay at zero.
 */
describe('refresh rotation plan as the token tables grow', () => {
  const GROWTH = 5000;
  let scratch: ScratchDatabase;
  let owner: Client;
  let runtime: Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    owner = new Client({ connectionString: scratch.ownerUrl });
    await owner.connect();
    for (const table of ['users', 'refresh_families', 'refresh_tokens']) {
      await owner.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
    runtime = new Client({ connectionString: scratch.url });
    await runtime.connect();
  });
  afterAll(async () => {
    await runtime?.end();
    await owner?.end();
    await scratch?.drop();
  });

  /** One rotation of `hash` on the runtime connection, named as in session pool mode. */
  async function rotate(hash: string): Promise<string> {
    const successor = randomBytes(32).toString('hex');
    const { rows } = await runtime.query<{ token_hash: string }>({
      name: 'refresh_rotate',
      text: ROTATE_SQL,
      values: [[hash], randomUUID(), successor],
    });
    expect(rows).toEqual([expect.objectContaining({ token_hash: hash })]);
    return successor;
  }

  it('never scans refresh_tokens, refresh_families or users sequentially once they are large', async () => {
    const userId = randomUUID();
    const familyId = randomUUID();
    let hash = randomBytes(32).toString('hex');
    await runtime.query(`INSERT INTO users (id, email, password_hash, updated_at) VALUES ($1, $2, 'x', now())`, [
      userId,
      `plan-${userId}@example.com`,
    ]);
    await runtime.query(
      `INSERT INTO refresh_families (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`,
      [familyId, userId],
    );
    await runtime.query(
      `INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, expires_at)
       VALUES ($1, $2, $3, $4, now() + interval '1 day')`,
      [randomUUID(), hash, familyId, userId],
    );

    // Planned and cached while every table holds a row or two (more than the five runs after
    // which PostgreSQL may switch a prepared statement to a generic plan).
    for (let i = 0; i < 10; i++) hash = await rotate(hash);

    await owner.query(
      `WITH u AS (
         INSERT INTO users (id, email, password_hash, updated_at)
         SELECT gen_random_uuid(), 'grow-' || n || '@example.com', 'x', now() FROM generate_series(1, $1) AS n
         RETURNING id),
       f AS (
         INSERT INTO refresh_families (id, user_id, expires_at)
         SELECT gen_random_uuid(), id, now() + interval '1 day' FROM u
         RETURNING id, user_id, expires_at)
       INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, expires_at)
       SELECT gen_random_uuid(), md5(id::text) || md5(user_id::text), id, user_id, expires_at FROM f`,
      [GROWTH],
    );

    await runtime.query('BEGIN');
    for (let i = 0; i < 5; i++) hash = await rotate(hash);
    const { rows } = await runtime.query<{ relname: string; seq_scan: string; idx_scan: string }>(
      `SELECT relname, seq_scan, idx_scan FROM pg_stat_xact_user_tables
        WHERE relname IN ('users', 'refresh_families', 'refresh_tokens') ORDER BY relname`,
    );
    await runtime.query('COMMIT');

    expect(rows.map((r) => [r.relname, Number(r.seq_scan)])).toEqual([
      ['refresh_families', 0],
      ['refresh_tokens', 0],
      ['users', 0],
    ]);
    // The rotations did read those tables (by index), so a zero above is not a count never kept.
    for (const r of rows) expect(Number(r.idx_scan)).toBeGreaterThan(0);
  });
});

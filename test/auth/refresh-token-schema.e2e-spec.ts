import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ownerDatabaseUrl } from '../helpers/database';
import { ROOT } from '../helpers/processes';

/**
 * The refresh-token storage as the migrated database has it (the run's database, migrated by
 * `prisma migrate deploy` in global setup), read from PostgreSQL's catalogs, not from the schema
 * file. It reads as the table owner: the migrations' own bookkeeping (`_prisma_migrations`) is no
 * table the runtime role is granted.
 */
describe('refresh-token storage in the migrated database', () => {
  let db: Client;
  beforeAll(async () => {
    db = new Client({ connectionString: ownerDatabaseUrl() });
    await db.connect();
  });
  afterAll(() => db.end());

  it('has the refresh_tokens table with its hash, family, expiry and revocation columns [gate:1.2.1]', async () => {
    const { rows } = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'refresh_tokens'`,
    );
    expect(rows.map((r) => r.column_name)).toEqual(
      expect.arrayContaining([
        'id',
        'token_hash',
        'family_id',
        'user_id',
        'parent_id',
        'expires_at',
        'used_at',
        'revoked_at',
      ]),
    );
  });

  it('has a unique index on token_hash alone [gate:1.2.2]', async () => {
    const { rows } = await db.query<{ columns: string[] }>(
      `SELECT array_agg(a.attname::text ORDER BY a.attnum) AS columns
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid AND t.relname = 'refresh_tokens'
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (i.indkey)
        WHERE i.indisunique
        GROUP BY i.indexrelid`,
    );
    expect(rows.map((r) => r.columns)).toContainEqual(['token_hash']);
  });

  it('has every migration of prisma/migrations applied and finished [gate:1.2.3]', async () => {
    const dir = join(ROOT, 'prisma/migrations');
    const shipped = readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isDirectory())
      .sort();
    const { rows } = await db.query<{ migration_name: string }>(
      `SELECT migration_name FROM _prisma_migrations
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
    );
    expect(shipped.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.migration_name)).toEqual(shipped);
  });
});

import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startApp, TestApp } from '../helpers/app';
import { PrismaService } from '../../src/platform/database/prisma.service';

/**
 * The database settings as PostgreSQL reports them for the gateway's own sessions, not as the
 * source spells them: the pool size pg_stat_activity counts, the statement_timeout `SHOW` answers
 * through the application's pool, and the log the application writes while it queries.
 */
describe('effective database configuration, as PostgreSQL reports it', () => {
  let observer: Client;
  let gw: TestApp;
  let prisma: PrismaService;
  beforeAll(async () => {
    observer = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await observer.connect();
    gw = await startApp({
      DB_POOL_MAX: '3',
      // Waiting callers must outlast the sleeps below, however loaded the machine.
      DB_POOL_TIMEOUT_MS: '30000',
      DB_STATEMENT_TIMEOUT_MS: '4321',
      LOG_LEVEL: 'trace',
    });
    prisma = gw.app.get(PrismaService);
  });
  afterAll(async () => {
    await gw.close();
    await observer.end();
  });

  it('opens at most DB_POOL_MAX sessions: pg_stat_activity counts 3 of 8 concurrent queries with DB_POOL_MAX=3 [gate:1.6.1]', async () => {
    const marker = `pool_${randomBytes(6).toString('hex')}`;
    const sessions = async (): Promise<number> => {
      const { rows } = await observer.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'hardened-gateway'
            AND state = 'active' AND query LIKE $1`,
        [`%${marker}%`],
      );
      return Number(rows[0]!.n);
    };
    let most = 0;
    const queries = Array.from(
      { length: 8 },
      () =>
        prisma.$queryRawUnsafe<{ pid: number }[]>(
          `SELECT pg_backend_pid() AS pid, pg_sleep(0.6)::text AS slept, '${marker}' AS marker`,
        ) as Promise<{ pid: number }[]>,
    );
    const all = Promise.all(queries);
    let done = false;
    void all.finally(() => (done = true));
    while (!done) {
      most = Math.max(most, await sessions());
      await new Promise((r) => setTimeout(r, 50));
    }
    const pids = new Set((await all).map((rows) => rows[0]!.pid));
    expect({ distinctBackends: pids.size, mostActiveAtOnce: most }).toEqual({
      distinctBackends: 3,
      mostActiveAtOnce: 3,
    });
  });

  it('runs every pooled session with statement_timeout = DB_STATEMENT_TIMEOUT_MS: SHOW through Prisma and the raw pool [gate:1.6.2] [gate:1.6.3]', async () => {
    const viaPrisma = await prisma.$queryRawUnsafe<{ statement_timeout: string }[]>('SHOW statement_timeout');
    const viaPool = await prisma.pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
    expect({ prisma: viaPrisma[0]!.statement_timeout, pool: viaPool.rows[0]!.statement_timeout }).toEqual({
      prisma: '4321ms',
      pool: '4321ms',
    });
    // The session is the gateway's own pool's (its application_name), not a fresh connection.
    const { rows } = await prisma.pool.query<{ name: string }>(
      'SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );
    expect(rows[0]!.name).toBe('hardened-gateway');
  });

  it('logs no query text even at LOG_LEVEL=trace [gate:1.6.4]', async () => {
    const marker = `verbose_${randomBytes(6).toString('hex')}`;
    await prisma.$queryRawUnsafe(`SELECT '${marker}' AS marker`);
    await prisma.user.findMany({ where: { email: `${marker}@example.com` } });
    const logs = gw.rawLogs();
    expect(logs).not.toContain(marker);
    expect(logs).not.toMatch(/prisma:query|SELECT .* FROM/i);
  });
});

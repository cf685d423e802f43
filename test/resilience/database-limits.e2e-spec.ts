import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from '../../tools/harness';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { createSignedInUser } from '../auth/fixtures';
import { ownerDatabaseUrl } from '../helpers/database';
import { DbProbeModule } from './db-probe.module';

/** Active statements of this test database running `fn` (other than our own observer). */
async function running(observer: Client, fn: 'pg_sleep' | 'pg_advisory_xact_lock'): Promise<number> {
  const { rows } = await observer.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND state = 'active' AND query ILIKE $1`,
    [`%${fn}%`],
  );
  return Number(rows[0]?.n);
}
const runningSleeps = (observer: Client): Promise<number> => running(observer, 'pg_sleep');

describe('database limits: bounded pool and server-side statement timeout', () => {
  // The observer and the lockers are the owner: they hold locks and read every session's activity.
  let observer: Client;
  beforeAll(async () => {
    observer = new Client({ connectionString: ownerDatabaseUrl() });
    await observer.connect();
  });
  afterAll(() => observer.end());

  describe('with the pool exhausted (DB_POOL_MAX=2, DB_POOL_TIMEOUT_MS=500)', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp(
        // The statement timeout only bounds the holders (the test releases them well before).
        { DB_POOL_MAX: '2', DB_POOL_TIMEOUT_MS: '500', DB_STATEMENT_TIMEOUT_MS: '30000' },
        { imports: [DbProbeModule] },
      );
    });
    afterAll(() => gw.close());

    it('answers 503 with Retry-After after the pool wait, while both connections are still held, then recovers', async () => {
      // Both pool connections wait on an advisory lock the observer holds: they stay busy until the
      // test lets go, however long the steps in between take on a loaded machine.
      const lock = randomInt(1, 2 ** 31);
      await observer.query('SELECT pg_advisory_lock($1)', [lock]);
      let holdersDone = 0;
      const holders = [1, 2].map(() =>
        http(gw.url, 'GET', `/v1/db-probe/wait-for-lock/${lock}`).finally(() => (holdersDone += 1)),
      );
      try {
        await waitFor(
          'both pool connections to be held',
          async () => (await running(observer, 'pg_advisory_xact_lock')) === 2,
        );

        const started = Date.now();
        const squeezed = await http(gw.url, 'GET', '/v1/db-probe/users');
        const waitedMs = Date.now() - started;
        expectProblem(squeezed, 503, 'SERVICE_UNAVAILABLE');
        expect(Number(squeezed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        // It did not wait for a connection to come back: both holders are still held.
        expect(holdersDone).toBe(0);
        expect(await running(observer, 'pg_advisory_xact_lock')).toBe(2);
        expect(waitedMs).toBeGreaterThanOrEqual(450); // it did wait DB_POOL_TIMEOUT_MS first
        process.stdout.write(`pool-exhausted 503 after ${waitedMs} ms (DB_POOL_TIMEOUT_MS=500)\n`);
      } finally {
        await observer.query('SELECT pg_advisory_unlock($1)', [lock]);
      }

      const held: HttpResult[] = await Promise.all(holders);
      expect(held.map((r) => r.status)).toEqual([200, 200]);
      const after = await http(gw.url, 'GET', '/v1/db-probe/users');
      expect(after.status).toBe(200);
    });

    it('reports the database ready again once the load has dropped', async () => {
      const ready = await http(gw.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
    });
  });

  // 1 s: well above what an ordinary query takes on a loaded machine.
  describe('with a statement over DB_STATEMENT_TIMEOUT_MS=1000', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ DB_STATEMENT_TIMEOUT_MS: '1000' }, { imports: [DbProbeModule] });
    });
    afterAll(() => gw.close());
    /** Far longer than the timeout and than the wait below: only a cancellation ends it in time. */
    const SLEEP_SECONDS = 30;

    it('is cancelled by PostgreSQL itself: 503 with Retry-After, and the backend no longer runs it', async () => {
      const started = Date.now();
      const res = await http(gw.url, 'GET', `/v1/db-probe/sleep/${SLEEP_SECONDS}`);
      const tookMs = Date.now() - started;
      expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.text).not.toMatch(/57014|statement timeout|pg_sleep/i);
      // The client has the error a moment before the backend reports itself idle again: wait for
      // that (bounded far below the sleep, which would still be running had PostgreSQL not ended it).
      await waitFor('the backend to stop running the sleep', async () => (await runningSleeps(observer)) === 0, {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      process.stdout.write(
        `statement-timeout 503 after ${tookMs} ms (DB_STATEMENT_TIMEOUT_MS=1000, pg_sleep(${SLEEP_SECONDS}))\n`,
      );

      expect((await http(gw.url, 'GET', '/v1/db-probe/users')).status).toBe(200);
    });

    it('cancels an ordinary model query stuck behind a lock the same way', async () => {
      const locker = new Client({ connectionString: ownerDatabaseUrl() });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
        expectProblem(await http(gw.url, 'GET', '/v1/db-probe/users'), 503, 'SERVICE_UNAVAILABLE');
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      expect((await http(gw.url, 'GET', '/v1/db-probe/users')).status).toBe(200);
    });

    it('cancels the payment read (a statement on the pg pool, outside Prisma) the same way', async () => {
      const { token: accessToken } = await createSignedInUser(gw);
      const read = (): Promise<HttpResult> =>
        http(gw.url, 'GET', '/v1/payments/6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a00', { token: accessToken });
      const locker = new Client({ connectionString: ownerDatabaseUrl() });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE payments IN ACCESS EXCLUSIVE MODE');
        const res = await read();
        expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
        expect(res.text).not.toMatch(/57014|statement timeout|SELECT|user_id/i);
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      expectProblem(await read(), 404, 'NOT_FOUND');
    });
  });
});

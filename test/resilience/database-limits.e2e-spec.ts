import { Client } from 'pg';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { createUser, login } from '../auth/fixtures';
import { DbProbeModule } from './db-probe.module';

/** Active pg_sleep statements of this test database, other than our own observer. */
async function runningSleeps(observer: Client): Promise<number> {
  const { rows } = await observer.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND state = 'active' AND query ILIKE '%pg_sleep%'`,
  );
  return Number(rows[0].n);
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('database limits: bounded pool and server-side statement timeout', () => {
  let observer: Client;
  beforeAll(async () => {
    observer = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await observer.connect();
  });
  afterAll(() => observer.end());

  describe('with the pool exhausted (DB_POOL_MAX=2, DB_POOL_TIMEOUT_MS=500)', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp(
        { DB_POOL_MAX: '2', DB_POOL_TIMEOUT_MS: '500', DB_STATEMENT_TIMEOUT_MS: '10000' },
        { imports: [DbProbeModule] },
      );
    });
    afterAll(() => gw.close());

    it('answers 503 with Retry-After after the pool wait, while both connections are still held, then recovers', async () => {
      let holdersDone = 0;
      const holders = [1, 2].map(() => http(gw.url, 'GET', '/v1/db-probe/sleep/3').finally(() => (holdersDone += 1)));
      await waitFor(async () => (await runningSleeps(observer)) === 2, 'both pool connections to be held');

      const started = Date.now();
      const squeezed = await http(gw.url, 'GET', '/v1/db-probe/users');
      const waitedMs = Date.now() - started;
      expectProblem(squeezed, 503, 'SERVICE_UNAVAILABLE');
      expect(Number(squeezed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // It did not wait for a connection to come back: both holders are still sleeping.
      expect(holdersDone).toBe(0);
      expect(await runningSleeps(observer)).toBe(2);
      expect(waitedMs).toBeGreaterThanOrEqual(450); // it did wait DB_POOL_TIMEOUT_MS first
      process.stdout.write(`pool-exhausted 503 after ${waitedMs} ms (DB_POOL_TIMEOUT_MS=500)\n`);

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

  describe('with a statement over DB_STATEMENT_TIMEOUT_MS=300', () => {
    let gw: TestApp;
    beforeAll(async () => {
      gw = await startApp({ DB_STATEMENT_TIMEOUT_MS: '300' }, { imports: [DbProbeModule] });
    });
    afterAll(() => gw.close());

    it('is cancelled by PostgreSQL itself: 503 with Retry-After, and the backend no longer runs it', async () => {
      const started = Date.now();
      const res = await http(gw.url, 'GET', '/v1/db-probe/sleep/2');
      const tookMs = Date.now() - started;
      expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.text).not.toMatch(/57014|statement timeout|pg_sleep/i);
      expect(await runningSleeps(observer)).toBe(0);
      process.stdout.write(`statement-timeout 503 after ${tookMs} ms (DB_STATEMENT_TIMEOUT_MS=300, pg_sleep(2))\n`);

      expect((await http(gw.url, 'GET', '/v1/db-probe/users')).status).toBe(200);
    });

    it('cancels an ordinary model query stuck behind a lock the same way', async () => {
      const locker = new Client({ connectionString: process.env.TEST_DATABASE_URL });
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
      const user = await createUser(gw);
      const { accessToken } = await login(gw, user);
      const read = (): Promise<HttpResult> =>
        http(gw.url, 'GET', '/v1/payments/6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a00', { token: accessToken });
      const locker = new Client({ connectionString: process.env.TEST_DATABASE_URL });
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

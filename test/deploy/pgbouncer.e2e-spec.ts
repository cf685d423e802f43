import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { RefreshTokenService } from '../../src/features/auth/tokens/refresh-token.service';
import { createUser, login, rotateOrThrow } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { ownerDatabaseUrl } from '../helpers/database';
import { testVariables } from '../helpers/env';
import { PgBouncer } from '../helpers/pgbouncer';
import { runBuiltServer } from '../helpers/processes';
import { ProviderStandIn } from '../helpers/provider-stand-in';

/**
 * The gateway behind a real PgBouncer in transaction mode (deploy/pgbouncer.ini), which ignores
 * the timeout startup parameters as operators configure it. Two login roles on this run's
 * database, both members of gateway_runtime only (the runtime grants, as docs/deployment.md sets
 * them up): one carrying the timeouts as role defaults (what docs/deployment.md asks for), one
 * bare (what an operator gets by just pointing DATABASE_URL at the pooler). The roles are set up,
 * and the table is locked, as the owner.
 */
const STATEMENT_TIMEOUT_MS = 1500;
const suffix = randomBytes(4).toString('hex');
const BOUNDED = `gw_pgb_${suffix}`;
const BARE = `gw_pgb_bare_${suffix}`;
const DATABASE = process.env.TEST_DATABASE_NAME!;

async function withAdmin<T>(fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: ownerDatabaseUrl() });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

async function createRoles(): Promise<void> {
  await withAdmin(async (db) => {
    for (const role of [BOUNDED, BARE]) {
      await db.query(`CREATE ROLE "${role}" LOGIN`);
      await db.query(`GRANT gateway_runtime TO "${role}"`);
    }
    await db.query(`ALTER ROLE "${BOUNDED}" SET statement_timeout = '${STATEMENT_TIMEOUT_MS}ms'`);
    await db.query(`ALTER ROLE "${BOUNDED}" SET idle_in_transaction_session_timeout = '10000ms'`);
  });
}

async function dropRoles(): Promise<void> {
  await withAdmin(async (db) => {
    for (const role of [BOUNDED, BARE]) {
      await db.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
      await db.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
    }
  });
}

/** The message of the server's fatal log line. */
function fatalMessage(output: string): string {
  const line = output.split('\n').find((l) => l.includes('"level":"fatal"'));
  return line ? String((JSON.parse(line) as { msg: string }).msg) : '';
}

/** Resolves with the answer, or with 'no answer' if none came within `ms` (the request stays open). */
async function within(ms: number, request: Promise<HttpResult>): Promise<HttpResult | 'no answer'> {
  return Promise.race([request, sleep(ms, 'no answer' as const, { ref: false })]);
}

describe('through PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  let provider: ProviderStandIn;
  let gw: TestApp;

  beforeAll(async () => {
    await createRoles();
    // Fewer server connections than the gateway's pool: PgBouncer really multiplexes.
    bouncer = await PgBouncer.start({ users: [BOUNDED, BARE], poolSize: 4 });
    provider = await ProviderStandIn.start();
    gw = await startApp({
      DATABASE_URL: bouncer.url(BOUNDED, DATABASE),
      DB_POOL_MODE: 'transaction',
      DB_POOL_MAX: '10',
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      PAYMENT_PROVIDER_URL: provider.url,
    });
  }, 60000);

  afterAll(async () => {
    await gw?.close();
    await provider?.close();
    await bouncer?.destroy();
    await dropRoles();
  });

  describe('refusing to run unbounded', () => {
    const refusal = (overrides: Record<string, string>) =>
      runBuiltServer(testVariables({ DATABASE_URL: bouncer.url(BARE, DATABASE), LOG_LEVEL: 'info', ...overrides }), {
        timeoutMs: 80000,
      });

    it('refuses to start when the pooler drops the startup parameters and the role has no timeouts', async () => {
      const [session, transaction] = await Promise.all([
        refusal({ DB_POOL_MODE: 'session' }),
        refusal({ DB_POOL_MODE: 'transaction' }),
      ]);
      for (const run of [session, transaction]) {
        expect({ code: run.code, stopped: run.stopped }).toEqual({ code: 1, stopped: false });
        expect(run.output).not.toContain(`127.0.0.1:${bouncer.port}`); // no URL
        expect(fatalMessage(run.output)).toMatch(/^Refusing to start: database queries would not be bounded: /);
        expect(fatalMessage(run.output)).toContain('statement_timeout is 0 (unbounded)');
        expect(fatalMessage(run.output)).toContain(`ALTER ROLE "${BARE}" SET statement_timeout = '5000ms'`);
      }
      expect(fatalMessage(session.output)).toContain('set DB_POOL_MODE=transaction');
    }, 90000);
  });

  describe('with the timeouts as role defaults', () => {
    it('runs with them through the pooler and is ready', async () => {
      const observed = await gw.app.get(PrismaService).observeBounds();
      expect(observed).toEqual({
        role: BOUNDED,
        statementTimeoutMs: STATEMENT_TIMEOUT_MS,
        idleInTransactionTimeoutMs: 10000,
      });
      expect((await http(gw.url, 'GET', '/health/ready')).status).toBe(200);
    });

    it('answers a login and a token check with a bounded 503 while the users table is locked, then recovers', async () => {
      const user = await createUser(gw);
      const { accessToken } = await login(gw, user);
      const locker = new Client({ connectionString: ownerDatabaseUrl() });
      await locker.connect();
      const started = Date.now();
      let answers: (HttpResult | 'no answer')[];
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
        // The lock is held until both have answered: only the statement timeout can end them.
        answers = await Promise.all([
          within(
            20000,
            http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password } }),
          ),
          within(20000, http(gw.url, 'GET', '/v1/auth/me', { token: accessToken })),
        ]);
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      const tookMs = Date.now() - started;
      for (const answer of answers) {
        expect(answer).not.toBe('no answer');
        const res = answer as HttpResult;
        expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      process.stdout.write(
        `pgbouncer: locked users table => 503 after ${tookMs} ms (statement_timeout ${STATEMENT_TIMEOUT_MS} ms)\n`,
      );
      expect((await http(gw.url, 'GET', '/v1/auth/me', { token: accessToken })).status).toBe(200);
      expect((await login(gw, user)).tokenType).toBe('Bearer');
    });

    it('keeps rotation racing revocation safe: nothing the revocation ended still works', async () => {
      const tokens = gw.app.get(RefreshTokenService);
      const prisma = gw.app.get(PrismaService);
      const user = await createUser(gw);
      const stillWorks = (token: string) =>
        rotateOrThrow(tokens, token).then(
          () => true,
          () => false,
        );
      let leaked = 0;
      let rotationsWon = 0;
      const TRIALS = 30;
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const issued = await tokens.issue(user.id);
        const stagger = sleep(trial % 4);
        const [rotated] = await Promise.allSettled([
          trial % 2 ? stagger.then(() => rotateOrThrow(tokens, issued.token)) : rotateOrThrow(tokens, issued.token),
          trial % 2
            ? tokens.revokeAllForUser(user.id, 'sessions_revoked')
            : stagger.then(() => tokens.revokeAllForUser(user.id, 'sessions_revoked')),
        ]);
        if (rotated.status === 'fulfilled') rotationsWon += 1;
        const live = await prisma.refreshToken.count({ where: { userId: user.id, revokedAt: null, usedAt: null } });
        const successorWorks = rotated.status === 'fulfilled' && (await stillWorks(rotated.value.token));
        if (live > 0 || successorWorks) leaked += 1;
        await tokens.revokeAllForUser(user.id, 'sessions_revoked');
      }
      expect({ leaked, trials: TRIALS }).toEqual({ leaked: 0, trials: TRIALS });
      expect(rotationsWon).toBeGreaterThan(0);

      // Reuse of a retired token while a thief rotates the newest one, over HTTP.
      const pair = await login(gw, user);
      const next = await http<{ refreshToken: string }>(gw.url, 'POST', '/v1/auth/refresh', {
        body: { refreshToken: pair.refreshToken },
      });
      expect(next.status).toBe(200);
      const [reuse, thief] = await Promise.all([
        http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } }),
        http<{ refreshToken?: string }>(gw.url, 'POST', '/v1/auth/refresh', {
          body: { refreshToken: next.body.refreshToken },
        }),
      ]);
      expectProblem(reuse, 401, 'TOKEN_REUSED');
      if (thief.status === 200) {
        const after = await http(gw.url, 'POST', '/v1/auth/refresh', {
          body: { refreshToken: thief.body.refreshToken },
        });
        expect(after.status).toBe(401);
      }
    }, 60000);

    it('takes payments idempotently: one payment and one charge from concurrent requests with one key', async () => {
      const user = await createUser(gw);
      const { accessToken } = await login(gw, user);
      const key = `pgb-${randomUUID()}`;
      const body = { amount: 1250, currency: 'EUR', recipientId: randomUUID(), reference: 'through pgbouncer' };
      const pay = (b: unknown = body) =>
        http(gw.url, 'POST', '/v1/payments', { body: b, token: accessToken, headers: { 'idempotency-key': key } });
      provider.behave({ kind: 'slow', delayMs: 200 });
      const results = await Promise.all(Array.from({ length: 8 }, () => pay()));
      expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
      const replay = await pay();
      expect(replay.status).toBe(201);
      expect(results.filter((r) => r.status === 201).every((r) => r.body.id === replay.body.id)).toBe(true);
      expectProblem(await pay({ ...body, amount: 99 }), 409, 'IDEMPOTENCY_CONFLICT');
      // The provider is asked with the payment's own key (its id), never the client's.
      expect(provider.requestsFor(String(replay.body.id))).toHaveLength(1);
      expect(provider.requestsFor(key)).toHaveLength(0);
      expect(await gw.app.get(PrismaService).payment.count({ where: { idempotencyKey: key } })).toBe(1);
      const read = await http(gw.url, 'GET', `/v1/payments/${String(replay.body.id)}`, { token: accessToken });
      expect(read.status).toBe(200);
    });

    it('serves the admin routes: list, disable (a revocation transaction) and unlock', async () => {
      const admin = await createUser(gw, 'admin');
      const { accessToken } = await login(gw, admin);
      const user = await createUser(gw);
      const pair = await login(gw, user);
      const list = await http(gw.url, 'GET', '/v1/admin/users?pageSize=5', { token: accessToken });
      expect(list.status).toBe(200);
      const disabled = await http(gw.url, 'PATCH', `/v1/admin/users/${user.id}`, {
        token: accessToken,
        body: { disabled: true },
      });
      expect(disabled.status).toBe(200);
      expectProblem(
        await http(gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } }),
        401,
        'TOKEN_INVALID',
      );
      expect(
        (await http(gw.url, 'POST', `/v1/admin/users/${user.id}/unlock`, { token: accessToken })).status,
      ).toBeLessThan(300);
    });
  });
});

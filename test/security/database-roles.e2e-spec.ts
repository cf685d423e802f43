import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { RUNTIME_GRANTS } from '../../src/platform/database/runtime-privileges';
import {
  createRuntimeLogin,
  databaseUrlFor,
  dropDatabase,
  dropRole,
  ROOT,
  runtimeUrl,
  withClient,
  type RuntimeLogin,
} from '../../tools/harness';
import { createUser } from '../auth/fixtures';
import { startApp, TestApp } from '../helpers/app';
import { ownerDatabaseUrl } from '../helpers/database';
import { randomSecret, testVariables } from '../helpers/env';
import { PrivateRedis, runBuiltServer, startBuiltServer, waitForReady } from '../helpers/processes';

/**
 * The gateway runs as a login role that is a member of gateway_runtime (test/setup/global-setup.ts
 * makes one per run): what that role may and may not do, and the boot check that refuses any other
 * role with NODE_ENV=production.
 */

const adminUrl = (): string => process.env.TEST_ADMIN_DATABASE_URL as string;

/** The message of the server's fatal log line. */
function fatalMessage(output: string): string {
  const line = output.split('\n').find((l) => l.includes('"level":"fatal"'));
  return line ? String((JSON.parse(line) as { msg: string }).msg) : '';
}

// First in the file: nestjs-pino's root logger is shared by the apps of one Jest module registry,
// so this app's lines are only its own while it is the first app of the file.
describe('outside production', () => {
  it('a role with more rights than it needs is one warning at start, not a refusal', async () => {
    const asOwner = await startApp({ DATABASE_URL: ownerDatabaseUrl() });
    try {
      const warnings = asOwner
        .rawLogs()
        .split('\n')
        .filter((line) => line.includes('not a least-privilege runtime role'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40 });
      expect(warnings[0]).toContain('With NODE_ENV=production the gateway refuses to start.');
    } finally {
      await asOwner.close();
    }
  });
});

describe('the runtime role (a member of gateway_runtime)', () => {
  let gw: TestApp;
  let prisma: PrismaService;
  let owner: Client;

  beforeAll(async () => {
    gw = await startApp();
    prisma = gw.app.get(PrismaService);
    owner = new Client({ connectionString: ownerDatabaseUrl() });
    await owner.connect();
  });
  afterAll(async () => {
    await owner?.end();
    await gw?.close();
  });

  it('is what the gateway connects as: a login role, member of gateway_runtime, with exactly the listed grants', async () => {
    const [row] = await prisma.$queryRaw<{ role: string; superuser: boolean; member: boolean }[]>`
      SELECT current_user AS role, r.rolsuper AS superuser, pg_has_role(current_user, 'gateway_runtime', 'MEMBER') AS member
        FROM pg_roles r WHERE r.rolname = current_user`;
    expect(row).toEqual({ role: process.env.TEST_RUNTIME_ROLE, superuser: false, member: true });
    // The migrations grant exactly RUNTIME_GRANTS: nothing missing, nothing more.
    expect(await prisma.privilegeFindings()).toEqual({ role: row!.role, powers: [], missing: [], excess: [] });
  });

  it('gateway_runtime cannot log in, and every table and sequence of the schema is in RUNTIME_GRANTS', async () => {
    const role = await owner.query(`SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'gateway_runtime'`);
    expect(role.rows).toEqual([{ rolcanlogin: false, rolsuper: false }]);
    const relations = await owner.query<{ relname: string; relkind: string }>(
      `SELECT relname, relkind FROM pg_class
        WHERE relnamespace = to_regnamespace(current_schema()) AND relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
          AND relname NOT LIKE '\\_prisma\\_migrations%' ORDER BY relname`,
    );
    const listed = [...Object.keys(RUNTIME_GRANTS.tables), ...Object.keys(RUNTIME_GRANTS.sequences)].sort();
    expect(relations.rows.map((r) => r.relname)).toEqual(listed);
  });

  it('may not DELETE or TRUNCATE payments, nor rewrite what a payment asked for or how it ended', async () => {
    const user = await createUser(gw);
    const settled = randomUUID();
    await prisma.payment.create({
      data: {
        id: settled,
        userId: user.id,
        amount: 500,
        currency: 'EUR',
        recipientId: randomUUID(),
        idempotencyKey: `k-${settled}`,
        providerKey: settled,
        status: 'succeeded',
        providerChargeId: `ch_${settled}`,
        idempotency: { create: { userId: user.id, key: `k-${settled}`, requestHash: 'a'.repeat(64) } },
      },
    });
    await expect(prisma.$executeRaw`DELETE FROM payments WHERE id = ${settled}::uuid`).rejects.toThrow(
      /permission denied for table payments/,
    );
    await expect(prisma.$executeRawUnsafe('TRUNCATE payments')).rejects.toThrow(/permission denied for table payments/);
    await expect(prisma.$executeRaw`UPDATE payments SET amount = 1 WHERE id = ${settled}::uuid`).rejects.toThrow(
      /never changes/,
    );
    await expect(
      prisma.$executeRaw`UPDATE payments SET status = 'unknown', provider_charge_id = NULL WHERE id = ${settled}::uuid`,
    ).rejects.toThrow(/status succeeded cannot become unknown/);
    await expect(prisma.$executeRaw`UPDATE payments SET status = 'failed' WHERE id = ${settled}::uuid`).rejects.toThrow(
      /status succeeded cannot become failed/,
    );
    await expect(prisma.$executeRawUnsafe('ALTER TABLE payments DISABLE TRIGGER payments_guard')).rejects.toThrow(
      /must be owner of table payments/,
    );
    // The one removal the gateway may make refuses a payment that is not a never-sent `unknown` one.
    const [discard] = await prisma.$queryRaw<{ removed: boolean }[]>`
      SELECT gateway_discard_unsent_payment(${settled}::uuid) AS removed`;
    expect(discard!.removed).toBe(false);
    expect(await prisma.payment.count({ where: { id: settled } })).toBe(1);
  });

  it('removes a never-sent unknown payment (and its key) only through the owner function', async () => {
    const user = await createUser(gw);
    const unsent = randomUUID();
    await prisma.payment.create({
      data: {
        id: unsent,
        userId: user.id,
        amount: 700,
        currency: 'EUR',
        recipientId: randomUUID(),
        idempotencyKey: `k-${unsent}`,
        providerKey: unsent,
        idempotency: {
          create: {
            userId: user.id,
            key: `k-${unsent}`,
            requestHash: 'b'.repeat(64),
            lockedUntil: new Date(Date.now() + 60_000),
          },
        },
      },
    });
    await expect(prisma.$executeRaw`DELETE FROM payments WHERE id = ${unsent}::uuid`).rejects.toThrow(
      /permission denied/,
    );
    const [discard] = await prisma.$queryRaw<{ removed: boolean }[]>`
      SELECT gateway_discard_unsent_payment(${unsent}::uuid) AS removed`;
    expect(discard!.removed).toBe(true);
    expect(await prisma.payment.count({ where: { id: unsent } })).toBe(0);
    expect(await prisma.idempotencyKey.count({ where: { paymentId: unsent } })).toBe(0);
  });

  it('may not change the schema: no CREATE, ALTER or DROP', async () => {
    await expect(prisma.$executeRawUnsafe('CREATE TABLE gw_intruder (id int)')).rejects.toThrow(
      /permission denied for schema/,
    );
    await expect(prisma.$executeRawUnsafe('ALTER TABLE users ADD COLUMN intruder int')).rejects.toThrow(
      /must be owner of table users/,
    );
    await expect(prisma.$executeRawUnsafe('DROP TABLE refresh_tokens')).rejects.toThrow(
      /must be owner of table refresh_tokens/,
    );
    await expect(prisma.$executeRawUnsafe('DELETE FROM users')).rejects.toThrow(/permission denied for table users/);
  });
});

describe('with NODE_ENV=production the gateway starts only as a least-privilege role', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = process.env.TEST_DATABASE_NAME as string;
  // A table owner that is not a superuser, with a database of its own migrated through
  // MIGRATION_DATABASE_URL; a role lacking a grant; one holding a grant too many.
  const ownerRole = `gw_own_${suffix}`;
  const ownerPassword = randomBytes(16).toString('hex');
  const ownedDatabase = `${database}_s${suffix}`;
  let lacking: RuntimeLogin;
  let extra: RuntimeLogin;
  let redis: PrivateRedis;

  const production = (databaseUrl: string): Record<string, string> =>
    testVariables({ NODE_ENV: 'production', LOG_LEVEL: 'info', REDIS_URL: redis.url(), DATABASE_URL: databaseUrl });
  const refusal = (databaseUrl: string) => runBuiltServer(production(databaseUrl), { timeoutMs: 80_000 });

  beforeAll(async () => {
    redis = await PrivateRedis.start({ password: randomSecret(24) });
    lacking = await createRuntimeLogin(adminUrl(), `gw_lack_${suffix}`);
    extra = await createRuntimeLogin(adminUrl(), `gw_extra_${suffix}`);
    await withClient(ownerDatabaseUrl(), async (db) => {
      // Everything gateway_runtime has but INSERT on admin_audit, granted directly.
      await db.query(`REVOKE gateway_runtime FROM "${lacking.role}"`);
      for (const [table, privileges] of Object.entries(RUNTIME_GRANTS.tables)) {
        const granted = table === 'admin_audit' ? privileges.filter((p) => p !== 'INSERT') : privileges;
        await db.query(`GRANT ${granted.join(', ')} ON "${table}" TO "${lacking.role}"`);
      }
      for (const [sequence, privileges] of Object.entries(RUNTIME_GRANTS.sequences)) {
        await db.query(`GRANT ${privileges.join(', ')} ON SEQUENCE "${sequence}" TO "${lacking.role}"`);
      }
      for (const fn of RUNTIME_GRANTS.functions) await db.query(`GRANT EXECUTE ON FUNCTION ${fn} TO "${lacking.role}"`);
      await db.query(`GRANT DELETE ON payments TO "${extra.role}"`);
    });
    await withClient(adminUrl(), async (db) => {
      await db.query(`CREATE ROLE "${ownerRole}" LOGIN PASSWORD '${ownerPassword}'`);
      await db.query(`CREATE DATABASE "${ownedDatabase}" OWNER "${ownerRole}"`);
    });
  }, 60_000);

  afterAll(async () => {
    await redis?.destroy();
    await withClient(ownerDatabaseUrl(), (db) => db.query(`DROP OWNED BY "${lacking.role}", "${extra.role}"`));
    await dropDatabase(adminUrl(), ownedDatabase);
    for (const role of [lacking.role, extra.role, ownerRole]) await dropRole(adminUrl(), role);
  });

  it('starts and is ready as a member of gateway_runtime, with no warning about its role', async () => {
    const server = await startBuiltServer(production(process.env.TEST_DATABASE_URL as string), 80_000);
    try {
      await waitForReady(server.url, 30_000);
      expect(server.output()).not.toContain('least-privilege');
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('refuses the superuser, a role lacking a grant and a role with a grant too many, naming the fix', async () => {
    const ownerUrl = ownerDatabaseUrl();
    const superuser = await withClient(ownerUrl, (db) =>
      db.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user'),
    );
    const runs = await Promise.all([
      refusal(ownerUrl),
      refusal(runtimeUrl(ownerUrl, lacking)),
      refusal(runtimeUrl(ownerUrl, extra)),
    ]);
    for (const run of runs) {
      expect({ code: run.code, stopped: run.stopped }).toEqual({ code: 1, stopped: false });
      expect(fatalMessage(run.output)).toMatch(
        /^Refusing to start: the database role "[^"]+" is not a least-privilege runtime role: /,
      );
      expect(fatalMessage(run.output)).toContain('docs/deployment.md');
      // No URL, no password.
      for (const secret of [lacking.password, extra.password, new URL(ownerUrl).host]) {
        expect(run.output).not.toContain(secret);
      }
    }
    const [asOwner, asLacking, asExtra] = runs.map((run) => fatalMessage(run.output));
    // The run's owner is the admin URL's user: a superuser on the machines the suite runs on.
    expect(asOwner).toContain(superuser.rows[0]!.rolsuper ? 'it is a superuser' : 'it owns ');
    expect(asOwner).toContain('member of gateway_runtime only');
    expect(asLacking).toContain('it lacks INSERT on admin_audit');
    expect(asLacking).toContain(`GRANT gateway_runtime TO "${lacking.role}"`);
    expect(asExtra).toContain('grants beyond what the gateway needs: DELETE on payments');
    expect(asExtra).toContain(`REVOKE those from "${extra.role}"`);
  }, 120_000);

  it('refuses the table owner; npm run db:migrate migrates as MIGRATION_DATABASE_URL, not DATABASE_URL', async () => {
    const ownedUrl = databaseUrlFor(adminUrl(), ownedDatabase);
    const asOwner = runtimeUrl(ownedUrl, { role: ownerRole, password: ownerPassword });
    // DATABASE_URL is the runtime login, which may not create tables: the migration only succeeds
    // because it runs as MIGRATION_DATABASE_URL.
    const runtime = new URL(process.env.TEST_DATABASE_URL as string);
    const asRuntime = runtimeUrl(ownedUrl, {
      role: decodeURIComponent(runtime.username),
      password: decodeURIComponent(runtime.password),
    });
    await promisify(execFile)('npm', ['run', '--silent', 'db:migrate'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: asRuntime, MIGRATION_DATABASE_URL: asOwner },
      timeout: 120_000,
    });
    const tables = await withClient(asOwner, (db) =>
      db.query<{ owner: string }>(`SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE tablename = 'payments'`),
    );
    expect(tables.rows).toEqual([{ owner: ownerRole }]);

    const run = await refusal(asOwner);
    expect({ code: run.code, stopped: run.stopped }).toEqual({ code: 1, stopped: false });
    const message = fatalMessage(run.output);
    expect(message).toMatch(
      new RegExp(`^Refusing to start: the database role "${ownerRole}" is not a least-privilege`),
    );
    expect(message).toMatch(/it owns [a-z_, ]*\bpayments\b/);
    expect(message).toContain('CREATE on the schema');
    expect(message).not.toContain('it is a superuser');
    expect(run.output).not.toContain(ownerPassword);
  }, 150_000);
});

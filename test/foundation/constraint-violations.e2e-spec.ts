import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { CONSTRAINTS, constraintViolationToProblem } from '../../src/platform/database/constraint-violations';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createUser } from '../auth/fixtures';
import { startApp, TestApp } from '../helpers/app';
import { ownerDatabaseUrl } from '../helpers/database';

/**
 * The constraint map against the real schema and the real error shapes: pg_catalog of the migrated
 * database (read as the owner) names exactly the constraints the map names, and each kind of
 * violation, raised by PostgreSQL through Prisma and its adapter as the gateway's runtime role,
 * maps to a 4xx naming the field.
 */
describe('database constraint violations', () => {
  let gw: TestApp;
  let prisma: PrismaService;
  let userId: string;
  let email: string;

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    gw = await startApp();
    prisma = gw.app.get(PrismaService);
    const user = await createUser(gw);
    userId = user.id;
    email = user.email;
  });
  afterAll(async () => {
    await gw.close();
    jest.restoreAllMocks();
  });

  it('names every constraint and unique index of the migrated schema (pg_catalog, as the owner)', async () => {
    const owner = new Client({ connectionString: ownerDatabaseUrl() });
    await owner.connect();
    try {
      const { rows } = await owner.query<{ name: string }>(`
        SELECT c.conname AS name FROM pg_catalog.pg_constraint c
          JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND t.relname NOT LIKE '\\_prisma%'
           AND c.contype IN ('p', 'u', 'f', 'c', 'x')
        UNION
        SELECT i.relname FROM pg_catalog.pg_index x
          JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
          JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND t.relname NOT LIKE '\\_prisma%' AND x.indisunique`);
      expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(CONSTRAINTS).sort());
    } finally {
      await owner.end();
    }
  });

  const payment = (overrides: Record<string, unknown> = {}) => ({
    userId,
    amount: 100,
    currency: 'EUR',
    recipientId: randomUUID(),
    idempotencyKey: `cv-${randomUUID()}`.slice(0, 40),
    providerKey: randomUUID(),
    ...overrides,
  });

  async function mapped(act: () => Promise<unknown>): Promise<{ status?: number; code?: string; field?: string }> {
    const error = await act().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    const answer = constraintViolationToProblem(error);
    return { status: answer?.getStatus(), code: answer?.code, field: answer?.extras.errors?.[0]?.field };
  }

  it.each([
    [
      'a value too long for its column (22001 / P2000)',
      () => prisma.payment.create({ data: payment({ reference: 'x'.repeat(141) }) }),
      { status: 400, code: 'VALIDATION_FAILED', field: 'reference' },
    ],
    [
      'a check constraint (23514)',
      () => prisma.payment.create({ data: payment({ amount: 0 }) }),
      { status: 400, code: 'VALIDATION_FAILED', field: 'amount' },
    ],
    [
      "the users table's normalized-email check (23514)",
      () => prisma.user.create({ data: { email: `UPPER-${randomUUID()}@example.test`, passwordHash: 'x' } }),
      { status: 400, code: 'VALIDATION_FAILED', field: 'email' },
    ],
    [
      'a unique violation (23505 / P2002)',
      () => prisma.user.create({ data: { email, passwordHash: 'x' } }),
      { status: 409, code: 'CONFLICT', field: 'email' },
    ],
    [
      'a foreign key (23503 / P2003)',
      () => prisma.payment.create({ data: payment({ userId: randomUUID() }) }),
      { status: 409, code: 'CONFLICT', field: 'user' },
    ],
    [
      // PostgreSQL refuses the bytes before it knows the column, and the adapter does not say which
      // model the query was for: the whole body is named. (Validation refuses NUL first anyway.)
      'NUL in text (22021)',
      () => prisma.payment.create({ data: payment({ reference: 'a\u0000b' }) }),
      { status: 400, code: 'VALIDATION_FAILED', field: 'body' },
    ],
    [
      'a not-null violation in raw SQL (23502)',
      () =>
        prisma.$executeRaw`INSERT INTO payments (id, user_id, amount, currency, recipient_id, idempotency_key, provider_key, updated_at)
          VALUES (${randomUUID()}::uuid, ${userId}::uuid, 100, NULL, ${randomUUID()}::uuid, 'cv-not-null-1', 'cv-not-null-1', now())`,
      { status: 400, code: 'VALIDATION_FAILED', field: 'currency' },
    ],
  ])('maps %s to a 4xx naming the field', async (_what, act, expected) => {
    expect(await mapped(act)).toEqual(expected);
  });
});

import { Logger } from '@nestjs/common';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COLUMN_FIELDS, CONSTRAINTS, constraintViolationToProblem } from './constraint-violations';

const MIGRATIONS = join(__dirname, '../../../prisma/migrations');

/** Every migration's SQL, oldest first. */
function migrationsSql(): string {
  return readdirSync(MIGRATIONS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => readFileSync(join(MIGRATIONS, name, 'migration.sql'), 'utf8'))
    .join('\n');
}

/**
 * Named constraints and unique indexes the migrations create, minus those they drop: what
 * PostgreSQL can name in a 23505/23503/23514 error. (The e2e constraint-violations spec checks the
 * same list against pg_catalog of a migrated database.)
 */
function migratedConstraints(sql: string): Set<string> {
  // In the order the statements run: a migration may drop a constraint and add it again.
  const names = new Set<string>();
  for (const match of sql.matchAll(/(DROP\s+(?:INDEX|CONSTRAINT)|CONSTRAINT|CREATE\s+UNIQUE\s+INDEX)\s+"([^"]+)"/g)) {
    if (match[1]!.startsWith('DROP')) names.delete(match[2]!);
    else names.add(match[2]!);
  }
  return names;
}

function tables(sql: string): Set<string> {
  return new Set([...sql.matchAll(/CREATE\s+TABLE\s+"([^"]+)"/g)].map((match) => match[1]!));
}

describe('the constraint map', () => {
  const sql = migrationsSql();

  it('names every constraint and unique index of the migrated schema, and nothing else', () => {
    const migrated = [...migratedConstraints(sql)].sort();
    expect(migrated.length).toBeGreaterThan(20);
    expect(Object.keys(CONSTRAINTS).sort()).toEqual(migrated);
  });

  it('maps each constraint to a table the migrations create', () => {
    const created = tables(sql);
    for (const [name, meaning] of Object.entries(CONSTRAINTS)) {
      expect([name, created.has(meaning.table)]).toEqual([name, true]);
      expect(name.startsWith(meaning.table)).toBe(true);
    }
  });

  it('has a field for the columns of every table (length, encoding and not-null errors name none)', () => {
    expect(Object.keys(COLUMN_FIELDS).sort()).toEqual([...tables(sql)].sort());
    for (const columns of Object.values(COLUMN_FIELDS)) expect(columns['*']).toEqual(expect.any(String));
  });
});

function prismaKnownError(code: string, meta: unknown): Error {
  return Object.assign(new Error(`Prisma error ${code}`), { name: 'PrismaClientKnownRequestError', code, meta });
}

function pgServerError(fields: Record<string, string>): Error {
  return Object.assign(new Error(fields.message ?? 'server error'), { name: 'error', severity: 'ERROR', ...fields });
}

describe('constraintViolationToProblem', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it.each([
    [
      'a value too long for its column (P2000)',
      prismaKnownError('P2000', { modelName: 'Payment', column_name: 'reference' }),
      400,
      'VALIDATION_FAILED',
      'reference',
    ],
    [
      'a length error whose column is not named, on the payments table (22001 through the adapter)',
      prismaKnownError('P2000', { modelName: 'Payment', driverAdapterError: { cause: { kind: 'LengthMismatch' } } }),
      400,
      'VALIDATION_FAILED',
      'reference',
    ],
    [
      'a check constraint (23514 through the adapter)',
      Object.assign(new Error('x'), {
        name: 'DriverAdapterError',
        cause: {
          kind: 'postgres',
          code: '23514',
          message: 'new row for relation "users" violates check constraint "users_email_normalized"',
        },
      }),
      400,
      'VALIDATION_FAILED',
      'email',
    ],
    [
      'a unique violation on an index expression (P2002)',
      prismaKnownError('P2002', {
        modelName: 'User',
        driverAdapterError: {
          cause: { kind: 'UniqueConstraintViolation', constraint: { fields: ['lower(email::text)'] } },
        },
      }),
      409,
      'CONFLICT',
      'email',
    ],
    [
      'a foreign key (P2003 naming the constraint)',
      prismaKnownError('P2003', { modelName: 'Payment', field_name: 'payments_user_id_fkey (index)' }),
      409,
      'CONFLICT',
      'user',
    ],
    [
      'a unique violation from pg directly (23505 with its constraint)',
      pgServerError({ code: '23505', constraint: 'payment_webhook_events_pkey', table: 'payment_webhook_events' }),
      409,
      'CONFLICT',
      'id',
    ],
    [
      'a not-null violation from pg directly (23502 with its column)',
      pgServerError({ code: '23502', table: 'payments', column: 'currency' }),
      400,
      'VALIDATION_FAILED',
      'currency',
    ],
    [
      'NUL in text (22021 through the adapter, no column)',
      prismaKnownError('P2010', {
        modelName: 'AdminAudit',
        driverAdapterError: {
          cause: { kind: 'postgres', code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' },
        },
      }),
      400,
      'VALIDATION_FAILED',
      'body',
    ],
  ])('answers %s with a 4xx naming the field', (_what, error, status, code, field) => {
    const answer = constraintViolationToProblem(error);
    expect(answer?.getStatus()).toBe(status);
    expect(answer?.code).toBe(code);
    expect(answer?.extras.errors).toEqual([{ field, message: expect.any(String) }]);
    expect(JSON.stringify(answer?.extras)).not.toMatch(/_pkey|_fkey|_key|relation|UTF8|lower\(/);
  });

  it('leaves every other error to the other handlers', () => {
    expect(constraintViolationToProblem(new TypeError('x is undefined'))).toBeUndefined();
    expect(constraintViolationToProblem(pgServerError({ code: '57014' }))).toBeUndefined();
    expect(constraintViolationToProblem(prismaKnownError('P2025', { modelName: 'User' }))).toBeUndefined();
  });
});

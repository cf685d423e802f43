import { databaseErrorToProblem } from './database-errors';

/**
 * Shapes observed from Prisma 7.10 + @prisma/adapter-pg on PostgreSQL (see
 * test/resilience/database-limits.e2e-spec.ts for the live versions of these failures).
 */
function prismaKnownError(code: string, message: string, meta: unknown): Error {
  return Object.assign(new Error(message), { name: 'PrismaClientKnownRequestError', code, meta });
}

/** What `pg` throws for a server error (its DatabaseError: SQLSTATE code and severity). */
function pgServerError(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'error', code, severity: 'ERROR' });
}

const cancelled = {
  driverAdapterError: {
    name: 'DriverAdapterError',
    cause: {
      originalCode: '57014',
      kind: 'postgres',
      code: '57014',
      message: 'canceling statement due to statement timeout',
    },
  },
};

describe('databaseErrorToProblem', () => {
  it.each([
    [
      'a raw query cancelled by statement_timeout (P2010, 57014)',
      prismaKnownError('P2010', 'Raw query failed. Code: `57014`.', cancelled),
    ],
    [
      'a model query cancelled by statement_timeout (P2039, 57014)',
      prismaKnownError('P2039', 'Database error. Code: `57014`.', { modelName: 'User', ...cancelled }),
    ],
    [
      'pg-pool giving up waiting for a free connection (a plain Error)',
      new Error('timeout exceeded when trying to connect'),
    ],
    [
      'a statement cancelled by statement_timeout on the pg pool directly (a pg DatabaseError, 57014)',
      pgServerError('57014', 'canceling statement due to statement timeout'),
    ],
    [
      'an interactive transaction that could not start in time (P2028)',
      prismaKnownError('P2028', 'Transaction API error: Unable to start a transaction in the given time.', {}),
    ],
  ])('answers 503 SERVICE_UNAVAILABLE with Retry-After for %s', (_what, error) => {
    const problem = databaseErrorToProblem(error);
    expect(problem?.getStatus()).toBe(503);
    expect(problem?.code).toBe('SERVICE_UNAVAILABLE');
    expect(problem?.extras.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(problem?.extras.detail).not.toMatch(/57014|timeout exceeded|P20/);
  });

  it('leaves other errors (a unique violation, a plain bug) to their own handlers', () => {
    expect(
      databaseErrorToProblem(prismaKnownError('P2002', 'Unique constraint failed', { target: ['email'] })),
    ).toBeUndefined();
    expect(databaseErrorToProblem(new TypeError('x is undefined'))).toBeUndefined();
    expect(databaseErrorToProblem(pgServerError('23505', 'duplicate key value'))).toBeUndefined();
  });
});

import { ErrorCode, problem, type ProblemException } from '../problems';

const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i, // pg pool: no free connection within DB_POOL_TIMEOUT_MS
  /connection terminated/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH/,
  /Can't reach database server/i,
  /too many clients/i,
  /the database system is (starting up|shutting down)/i,
  // Prisma's interactive transaction could not get a connection within maxWait, or outlived its timeout.
  /\bP2028\b|Unable to start a transaction in the given time/i,
  // PgBouncer: no server connection within query_wait_timeout, or the server is out of reach.
  /query_wait_timeout|no more connections allowed|pgbouncer cannot connect to server|server login has been failing/i,
];

const STATEMENT_CANCELLED = /canceling statement due to statement timeout|57014/i;

function describe(error: unknown, depth = 0): string {
  if (depth > 3 || typeof error !== 'object' || error === null) return String(error ?? '');
  const e = error as { message?: unknown; code?: unknown; cause?: unknown; meta?: unknown };
  return [
    String(e.message ?? ''),
    String(e.code ?? ''),
    JSON.stringify(e.meta ?? ''),
    describe(e.cause, depth + 1),
  ].join(' ');
}

/** An error from Prisma, its driver adapter, or `pg` itself (a server error: SQLSTATE and severity). */
function isDriverError(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown; severity?: unknown } | null;
  if (typeof e?.name === 'string' && (e.name.startsWith('PrismaClient') || e.name === 'DriverAdapterError')) {
    return true;
  }
  return error instanceof Error && typeof e?.severity === 'string' && /^[0-9A-Z]{5}$/.test(String(e?.code));
}

/**
 * Database failures that are the database's trouble, not the request's, answer 503 with
 * Retry-After (pool exhausted, statement cancelled by statement_timeout, server unreachable).
 * The text of the error never reaches the client.
 */
export function databaseErrorToProblem(error: unknown): ProblemException | undefined {
  const text = describe(error);
  if (!isDriverError(error) && !UNAVAILABLE_MESSAGES.some((re) => re.test(text))) return undefined;
  if (STATEMENT_CANCELLED.test(text) || UNAVAILABLE_MESSAGES.some((re) => re.test(text))) {
    return problem(ErrorCode.SERVICE_UNAVAILABLE, 'The database is busy or unavailable. Retry later.', {
      retryAfterSeconds: 1,
    });
  }
  return undefined;
}

/** The two PostgreSQL timeouts that bound every query and every transaction, in milliseconds. */
export interface QueryBounds {
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** What a session actually runs with, read back from the server (through the pooler, if any). */
export interface ObservedBounds extends QueryBounds {
  role: string;
}

/** The bounds this configuration asks for. */
export function expectedBounds(statementTimeoutMs: number): QueryBounds {
  return {
    statementTimeoutMs,
    // A transaction left open by a crashed request must not pin a connection forever.
    idleInTransactionTimeoutMs: Math.max(statementTimeoutMs * 2, 10_000),
  };
}

/**
 * Startup parameters for the pg pool. A transaction pooler (PgBouncer in transaction mode) refuses
 * unknown startup parameters, or ignores them when told to, so in that mode none are sent and the
 * server-side defaults carry the bounds (verified by `unboundedReason`).
 */
export type PoolMode = 'session' | 'transaction';

export function startupParameters(
  mode: PoolMode,
  statementTimeoutMs: number,
): {
  statement_timeout?: number;
  idle_in_transaction_session_timeout?: number;
} {
  if (mode === 'transaction') return {};
  const bounds = expectedBounds(statementTimeoutMs);
  return {
    statement_timeout: bounds.statementTimeoutMs,
    idle_in_transaction_session_timeout: bounds.idleInTransactionTimeoutMs,
  };
}

/** One round trip: both settings in milliseconds (pg_settings reports these in ms) and the role. */
export const OBSERVE_BOUNDS_SQL = `SELECT current_user AS role,
  (SELECT setting FROM pg_settings WHERE name = 'statement_timeout') AS statement_timeout,
  (SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout') AS idle_timeout`;

export interface ObservedRow {
  role: string;
  statement_timeout: string;
  idle_timeout: string;
}

export function parseObserved(row: ObservedRow): ObservedBounds {
  return {
    role: row.role,
    statementTimeoutMs: Number(row.statement_timeout),
    idleInTransactionTimeoutMs: Number(row.idle_timeout),
  };
}

function outOfRange(actual: number, limit: number): boolean {
  return !Number.isFinite(actual) || actual <= 0 || actual > limit;
}

function describeMs(ms: number): string {
  return ms === 0 ? '0 (unbounded)' : `${ms} ms`;
}

/**
 * Why queries through this connection are not bounded as configured, or undefined when they are:
 * each timeout must be set (non-zero) and no longer than the configured one. The text names
 * settings, the role and the fix; never the URL or a password.
 */
export function unboundedReason(observed: ObservedBounds, expected: QueryBounds, mode: PoolMode): string | undefined {
  const wrong: string[] = [];
  const fixes: string[] = [];
  const role = `"${observed.role.replace(/"/g, '""')}"`;
  if (outOfRange(observed.statementTimeoutMs, expected.statementTimeoutMs)) {
    wrong.push(
      `statement_timeout is ${describeMs(observed.statementTimeoutMs)}, expected 1-${expected.statementTimeoutMs} ms`,
    );
    fixes.push(`ALTER ROLE ${role} SET statement_timeout = '${expected.statementTimeoutMs}ms'`);
  }
  if (outOfRange(observed.idleInTransactionTimeoutMs, expected.idleInTransactionTimeoutMs)) {
    wrong.push(
      `idle_in_transaction_session_timeout is ${describeMs(observed.idleInTransactionTimeoutMs)}, ` +
        `expected 1-${expected.idleInTransactionTimeoutMs} ms`,
    );
    fixes.push(
      `ALTER ROLE ${role} SET idle_in_transaction_session_timeout = '${expected.idleInTransactionTimeoutMs}ms'`,
    );
  }
  if (wrong.length === 0) return undefined;
  const how =
    mode === 'transaction'
      ? `With DB_POOL_MODE=transaction the server must apply them: ${fixes.join('; ')} (then reconnect the pooler).`
      : 'The startup parameters the gateway sends were not applied (a pooler ignoring them?). ' +
        `Behind a transaction pooler set DB_POOL_MODE=transaction and ${fixes.join('; ')}.`;
  return `database queries would not be bounded: ${wrong.join('; ')}. ${how}`;
}

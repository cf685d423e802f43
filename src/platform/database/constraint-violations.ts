import { Logger } from '@nestjs/common';
import { ErrorCode, problem, ProblemException, validationProblem } from '../problems';

/**
 * What a violated constraint means to a client: `invalid` (the value cannot be stored: 400
 * VALIDATION_FAILED) or `conflict` (the value collides with, or refers to, the state of other rows:
 * 409 CONFLICT). `field` is the API's name for what was wrong (a body field, a header, or the
 * resource the row stands for), never a column or constraint name.
 */
export interface ConstraintMeaning {
  table: string;
  field: string;
  kind: 'invalid' | 'conflict';
  message: string;
}

/**
 * Every named constraint and unique index of the migrated schema (prisma/migrations), by name.
 * The API validates first, so a client normally never meets one of these; they stop any other
 * writer, and if one does fire (a validator that disagrees with its column, a race), the client
 * gets a 4xx naming the field instead of a 500. constraint-violations.spec.ts fails when a
 * migration adds a constraint that is not listed here.
 */
export const CONSTRAINTS: Readonly<Record<string, ConstraintMeaning>> = {
  // users
  users_pkey: { table: 'users', field: 'id', kind: 'conflict', message: 'is already taken' },
  users_email_key: { table: 'users', field: 'email', kind: 'conflict', message: 'is already in use' },
  users_email_normalized: {
    table: 'users',
    field: 'email',
    kind: 'invalid',
    message: 'is not a normalized email address (trimmed, lower case)',
  },
  // refresh tokens and their families
  refresh_tokens_pkey: { table: 'refresh_tokens', field: 'refreshToken', kind: 'conflict', message: 'collides' },
  refresh_tokens_token_hash_key: {
    table: 'refresh_tokens',
    field: 'refreshToken',
    kind: 'conflict',
    message: 'collides with an issued token',
  },
  refresh_tokens_parent_id_key: {
    table: 'refresh_tokens',
    field: 'refreshToken',
    kind: 'conflict',
    message: 'has already been used',
  },
  refresh_tokens_parent_id_fkey: {
    table: 'refresh_tokens',
    field: 'refreshToken',
    kind: 'conflict',
    message: 'no longer exists',
  },
  refresh_tokens_family_id_user_id_fkey: {
    table: 'refresh_tokens',
    field: 'refreshToken',
    kind: 'conflict',
    message: 'belongs to a session that no longer exists',
  },
  refresh_families_pkey: { table: 'refresh_families', field: 'refreshToken', kind: 'conflict', message: 'collides' },
  refresh_families_id_user_id_key: {
    table: 'refresh_families',
    field: 'refreshToken',
    kind: 'conflict',
    message: 'collides',
  },
  refresh_families_user_id_fkey: {
    table: 'refresh_families',
    field: 'user',
    kind: 'conflict',
    message: 'no longer exists',
  },
  // payments and their idempotency keys
  payments_pkey: { table: 'payments', field: 'payment', kind: 'conflict', message: 'already exists' },
  payments_provider_charge_id_key: {
    table: 'payments',
    field: 'payment',
    kind: 'conflict',
    message: "the provider's charge already backs another payment",
  },
  payments_user_id_idempotency_key_key: {
    table: 'payments',
    field: 'Idempotency-Key',
    kind: 'conflict',
    message: 'is already used by another payment',
  },
  payments_user_id_fkey: { table: 'payments', field: 'user', kind: 'conflict', message: 'no longer exists' },
  payments_amount_range: {
    table: 'payments',
    field: 'amount',
    kind: 'invalid',
    message: 'must be 1 to 100000000 minor units',
  },
  payments_currency_format: {
    table: 'payments',
    field: 'currency',
    kind: 'invalid',
    message: 'must be an uppercase ISO 4217 code',
  },
  payments_idempotency_key_format: {
    table: 'payments',
    field: 'Idempotency-Key',
    kind: 'invalid',
    message: 'must be 8-64 characters of [A-Za-z0-9_-]',
  },
  payments_provider_key_format: {
    table: 'payments',
    field: 'Idempotency-Key',
    kind: 'invalid',
    message: 'must be 8-64 characters of [A-Za-z0-9_-]',
  },
  idempotency_keys_pkey: {
    table: 'idempotency_keys',
    field: 'Idempotency-Key',
    kind: 'conflict',
    message: 'is already in use',
  },
  idempotency_keys_payment_id_key: {
    table: 'idempotency_keys',
    field: 'payment',
    kind: 'conflict',
    message: 'already has an idempotency key',
  },
  idempotency_keys_user_id_fkey: {
    table: 'idempotency_keys',
    field: 'user',
    kind: 'conflict',
    message: 'no longer exists',
  },
  idempotency_keys_payment_id_fkey: {
    table: 'idempotency_keys',
    field: 'payment',
    kind: 'conflict',
    message: 'no longer exists',
  },
  idempotency_keys_key_format: {
    table: 'idempotency_keys',
    field: 'Idempotency-Key',
    kind: 'invalid',
    message: 'must be 8-64 characters of [A-Za-z0-9_-]',
  },
  idempotency_keys_request_hash_format: {
    table: 'idempotency_keys',
    field: 'body',
    kind: 'invalid',
    message: 'could not be fingerprinted',
  },
  // the admin audit trail
  admin_audit_pkey: { table: 'admin_audit', field: 'audit', kind: 'conflict', message: 'entry already exists' },
  // provider webhook events
  payment_webhook_events_pkey: {
    table: 'payment_webhook_events',
    field: 'id',
    kind: 'conflict',
    message: 'has already been recorded',
  },
  payment_webhook_events_outcome_check: {
    table: 'payment_webhook_events',
    field: 'type',
    kind: 'invalid',
    message: 'has no recordable outcome',
  },
  payment_webhook_events_payment_id_fkey: {
    table: 'payment_webhook_events',
    field: 'data.idempotencyKey',
    kind: 'conflict',
    message: 'names a payment that no longer exists',
  },
};

/**
 * Columns a client's value reaches, by table, with the API field that carries it: what a length
 * (22001), not-null (23502) or encoding (22021) error names, since PostgreSQL does not say which
 * constraint (and, for length and encoding, which column) refused. `*` is the table's fallback.
 */
export const COLUMN_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  users: { email: 'email', role: 'role', '*': 'email' },
  refresh_tokens: { token_hash: 'refreshToken', '*': 'refreshToken' },
  refresh_families: { '*': 'refreshToken' },
  payments: {
    amount: 'amount',
    currency: 'currency',
    recipient_id: 'recipientId',
    reference: 'reference',
    idempotency_key: 'Idempotency-Key',
    '*': 'reference',
  },
  idempotency_keys: { key: 'Idempotency-Key', '*': 'Idempotency-Key' },
  admin_audit: { request_id: 'X-Request-Id', '*': 'body' },
  payment_webhook_events: {
    event_id: 'id',
    type: 'type',
    charge_id: 'data.id',
    charge_status: 'data.status',
    '*': 'body',
  },
};

/** Prisma model name -> table (Prisma names the model, not the table, in its error metadata). */
const MODEL_TABLES: Readonly<Record<string, string>> = {
  User: 'users',
  RefreshToken: 'refresh_tokens',
  RefreshFamily: 'refresh_families',
  Payment: 'payments',
  IdempotencyKey: 'idempotency_keys',
  AdminAudit: 'admin_audit',
  PaymentWebhookEvent: 'payment_webhook_events',
};

/** The SQLSTATEs of integrity and data errors a request's values can cause. */
const SQLSTATES = {
  '22001': 'length',
  '22021': 'encoding',
  '23502': 'not-null',
  '23503': 'foreign-key',
  '23505': 'unique',
  '23514': 'check',
} as const;
type Violation = (typeof SQLSTATES)[keyof typeof SQLSTATES];

/** Prisma's own codes, and its driver adapter's error kinds, for the same errors. */
const PRISMA_CODES: Readonly<Record<string, Violation>> = {
  P2000: 'length',
  P2002: 'unique',
  P2003: 'foreign-key',
  P2004: 'check',
  P2011: 'not-null',
  LengthMismatch: 'length',
  UniqueConstraintViolation: 'unique',
  ForeignKeyConstraintViolation: 'foreign-key',
  NullConstraintViolation: 'not-null',
};

/** What the error says, wherever Prisma, its adapter or `pg` put it. */
interface Evidence {
  violation?: Violation;
  constraint?: string;
  table?: string;
  columns: string[];
}

const MAX_DEPTH = 4;
const logger = new Logger('Database');

function gather(error: unknown, evidence: Evidence, depth = 0): void {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return;
  const e = error as Record<string, unknown>;
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

  for (const code of [e.code, e.originalCode, e.kind]) {
    const name = text(code);
    if (!name || evidence.violation) continue;
    evidence.violation = (SQLSTATES as Record<string, Violation>)[name] ?? PRISMA_CODES[name];
  }
  // `pg` names the constraint, table and column of a server error directly.
  evidence.constraint ??= text(e.constraint);
  evidence.table ??= text(e.table) ?? MODEL_TABLES[text(e.modelName) ?? ''];
  const column = text(e.column) ?? text(e.column_name);
  if (column) evidence.columns.push(column);
  // Prisma: `target` is the unique index name or its fields; `field_name` is "<constraint> (index)".
  if (Array.isArray(e.target)) evidence.columns.push(...e.target.filter((f): f is string => typeof f === 'string'));
  else if (text(e.target)) evidence.constraint ??= text(e.target);
  const fieldName = text(e.field_name);
  if (fieldName) evidence.constraint ??= fieldName.replace(/\s*\(index\)$/, '');
  // The adapter: `constraint: { fields } | { index }`.
  if (typeof e.constraint === 'object' && e.constraint !== null) {
    const c = e.constraint as { fields?: unknown; index?: unknown };
    if (Array.isArray(c.fields)) evidence.columns.push(...c.fields.filter((f): f is string => typeof f === 'string'));
    if (typeof c.index === 'string') evidence.constraint ??= c.index;
  }
  // The server's message names the constraint, the table and the column: `violates check
  // constraint "x"`, `new row for relation "t"`, `null value in column "c" of relation "t"`.
  const message = text(e.message);
  if (message) {
    evidence.constraint ??= /constraint "([^"]+)"/.exec(message)?.[1];
    evidence.table ??= /relation "([^"]+)"/.exec(message)?.[1];
    const named = /column "([^"]+)"/.exec(message)?.[1];
    if (named) evidence.columns.push(named);
  }
  for (const next of [e.cause, e.meta, e.driverAdapterError]) gather(next, evidence, depth + 1);
}

/** The evidence an error carries about a violated constraint, or undefined if it is not one. */
export function constraintEvidence(error: unknown): Evidence | undefined {
  const evidence: Evidence = { columns: [] };
  gather(error, evidence);
  return evidence.violation ? evidence : undefined;
}

function fieldFor(evidence: Evidence): string {
  const columns = COLUMN_FIELDS[evidence.table ?? ''];
  for (const column of evidence.columns) {
    // Index expressions such as `lower(email::text)` name their column inside.
    const name = column.replace(/^.*\(/, '').replace(/::.*$/, '').replace(/\)+$/, '');
    const field = columns?.[name];
    if (field) return field;
  }
  return columns?.['*'] ?? 'body';
}

const MESSAGES: Readonly<Record<Violation, string>> = {
  length: 'is too long',
  encoding: 'contains characters that cannot be stored (NUL or invalid UTF-16)',
  'not-null': 'is required',
  'foreign-key': 'refers to something that no longer exists',
  unique: 'is already in use',
  check: 'is not valid',
};

/**
 * A database integrity or data error (length 22001/P2000, encoding 22021, not-null 23502,
 * foreign key 23503/P2003, unique 23505/P2002, check 23514) as the problem it means for the client:
 * 400 VALIDATION_FAILED or 409 CONFLICT naming the field, from CONSTRAINTS and COLUMN_FIELDS.
 * Undefined for every other error. No constraint, table, column or SQL text reaches the client.
 */
export function constraintViolationToProblem(error: unknown): ProblemException | undefined {
  const evidence = constraintEvidence(error);
  if (!evidence?.violation) return undefined;
  // Validation should have refused the value first: worth a look, but the client's fault, not ours.
  logger.warn(
    { constraint: evidence.constraint, table: evidence.table, violation: evidence.violation },
    'A database constraint refused a request',
  );
  const known = evidence.constraint ? CONSTRAINTS[evidence.constraint] : undefined;
  if (known) {
    return known.kind === 'conflict'
      ? problem(ErrorCode.CONFLICT, 'The request conflicts with the current state of the resource.', {
          errors: [{ field: known.field, message: known.message }],
        })
      : validationProblem([{ field: known.field, message: known.message }]);
  }
  const field = fieldFor(evidence);
  const message = MESSAGES[evidence.violation];
  if (evidence.violation === 'unique' || evidence.violation === 'foreign-key') {
    return problem(ErrorCode.CONFLICT, 'The request conflicts with the current state of the resource.', {
      errors: [{ field, message }],
    });
  }
  return validationProblem([{ field, message }]);
}

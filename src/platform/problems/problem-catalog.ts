/**
 * The one catalog of problems this API answers: every stable machine-readable code (named in
 * docs/contract.md: extend, never rename) with its HTTP status and title. Callers never repeat a
 * status or a title; they write `problem(ErrorCode.X, detail?)`.
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_REUSED: 'TOKEN_REUSED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  LAST_ADMIN: 'LAST_ADMIN',
  ACCOUNT_LOCKED: 'ACCOUNT_LOCKED',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  UPSTREAM_FAILED: 'UPSTREAM_FAILED',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  BAD_REQUEST: 'BAD_REQUEST',
  URI_TOO_LONG: 'URI_TOO_LONG',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface CatalogEntry {
  status: number;
  /** Short, fixed, safe for any client; the status line's reason phrase where they coincide. */
  title: string;
  /** The detail when the caller gives none (otherwise the title is repeated). */
  detail?: string;
}

export const PROBLEM_CATALOG: Readonly<Record<ErrorCode, CatalogEntry>> = {
  VALIDATION_FAILED: { status: 400, title: 'Validation Failed', detail: 'The request is not valid.' },
  BAD_REQUEST: { status: 400, title: 'Bad Request' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized', detail: 'Authentication is required.' },
  INVALID_CREDENTIALS: { status: 401, title: 'Unauthorized', detail: 'The email or password is incorrect.' },
  TOKEN_INVALID: { status: 401, title: 'Unauthorized' },
  TOKEN_REUSED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden', detail: 'You are not allowed to perform this action.' },
  NOT_FOUND: { status: 404, title: 'Not Found', detail: 'The requested resource does not exist.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout' },
  CONFLICT: { status: 409, title: 'Conflict' },
  IDEMPOTENCY_CONFLICT: { status: 409, title: 'Idempotency Conflict' },
  LAST_ADMIN: { status: 409, title: 'Last Admin' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload Too Large', detail: 'The request body exceeds the size limit.' },
  URI_TOO_LONG: { status: 414, title: 'URI Too Long' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported Media Type',
    detail: 'Send the body as application/json.',
  },
  ACCOUNT_LOCKED: { status: 423, title: 'Account Locked' },
  RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request Header Fields Too Large' },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal Server Error',
    detail: 'An unexpected error occurred. Quote the requestId when reporting it.',
  },
  UPSTREAM_FAILED: { status: 502, title: 'Upstream Failed' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  CIRCUIT_OPEN: { status: 503, title: 'Circuit Open' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream Timeout' },
};

/**
 * The code a bare HTTP status maps to when something other than a ProblemException carries it
 * (Nest's own exceptions, Fastify's errors): the generic code of that status.
 */
const GENERIC_CODES: readonly ErrorCode[] = [
  ErrorCode.BAD_REQUEST,
  ErrorCode.UNAUTHORIZED,
  ErrorCode.FORBIDDEN,
  ErrorCode.NOT_FOUND,
  ErrorCode.METHOD_NOT_ALLOWED,
  ErrorCode.CONFLICT,
  ErrorCode.PAYLOAD_TOO_LARGE,
  ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  ErrorCode.RATE_LIMITED,
  ErrorCode.SERVICE_UNAVAILABLE,
];

const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map(
  GENERIC_CODES.map((code) => [PROBLEM_CATALOG[code].status, code]),
);

export function genericCodeFor(status: number): ErrorCode | undefined {
  return CODE_BY_STATUS.get(status);
}

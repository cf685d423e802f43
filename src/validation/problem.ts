import { HttpException, HttpStatus } from '@nestjs/common';

/** Stable machine-readable error codes (CONTRACT.md). Extend, never rename. */
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

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: FieldError[];
  /** Seconds for a Retry-After header (rounded up to a whole second, at least 1). */
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
}

/**
 * The exception every module throws for an expected failure. The global filter renders it as
 * application/problem+json; `title` and `detail` must be safe to show to any client.
 */
export class ProblemException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: ErrorCode,
    readonly title: string,
    readonly extras: ProblemOptions = {},
  ) {
    super(extras.detail ?? title, status);
  }
}

export const problems = {
  unauthorized: (detail = 'Authentication is required.') =>
    new ProblemException(HttpStatus.UNAUTHORIZED, ErrorCode.UNAUTHORIZED, 'Unauthorized', { detail }),
  forbidden: (detail = 'You are not allowed to perform this action.') =>
    new ProblemException(HttpStatus.FORBIDDEN, ErrorCode.FORBIDDEN, 'Forbidden', { detail }),
  notFound: (detail = 'The requested resource does not exist.') =>
    new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NOT_FOUND, 'Not Found', { detail }),
  serviceUnavailable: (detail: string, retryAfterSeconds = 1) =>
    new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, 'Service Unavailable', {
      detail,
      retryAfterSeconds,
    }),
  validation: (errors: FieldError[], detail = 'The request is not valid.') =>
    new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.VALIDATION_FAILED, 'Validation Failed', { detail, errors }),
};

import { HttpException } from '@nestjs/common';
import { ErrorCode, PROBLEM_CATALOG } from './problem-catalog';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemOptions {
  /** Safe to show to any client; defaults to the catalog's detail, else the title. */
  detail?: string;
  errors?: FieldError[];
  /** Seconds for a Retry-After header (rounded up to a whole second, at least 1). */
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
}

/**
 * Only for mapping errors the framework raised with a status or wording of its own (see
 * problem-details.filter.ts); application code takes status and title from the catalog.
 */
export interface ProblemOverrides {
  status?: number;
  title?: string;
}

/**
 * Runs `build` without capturing a stack trace: an expected failure's stack is never logged or
 * shown (the filter renders the problem, and logs stacks only of unexpected errors), and capturing
 * one was a visible share of a refused request's CPU (every 401, 404 and 429).
 */
function withoutStack<T>(build: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The exception every module throws for an expected failure; build it with `problem()`. The
 * global filter renders it as application/problem+json. It carries no stack trace (see
 * withoutStack).
 */
export class ProblemException extends HttpException {
  readonly title: string;
  readonly detail: string;

  constructor(
    readonly code: ErrorCode,
    readonly extras: ProblemOptions = {},
    overrides: ProblemOverrides = {},
  ) {
    const entry = PROBLEM_CATALOG[code];
    const title = overrides.title ?? entry.title;
    const detail = extras.detail ?? entry.detail ?? title;
    super(detail, overrides.status ?? entry.status);
    this.title = title;
    this.detail = detail;
  }
}

/** The problem for `code` from the catalog: `throw problem(ErrorCode.TOKEN_INVALID, 'why')`. */
export function problem(
  code: ErrorCode,
  detail?: string,
  extras: Omit<ProblemOptions, 'detail'> = {},
): ProblemException {
  return withoutStack(() => new ProblemException(code, detail === undefined ? extras : { ...extras, detail }));
}

/** 400 VALIDATION_FAILED with field errors (the shape the validation pipe answers). */
export function validationProblem(errors: FieldError[], detail?: string): ProblemException {
  return problem(ErrorCode.VALIDATION_FAILED, detail, { errors });
}

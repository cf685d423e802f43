import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerSetFor } from './answer-instead';
import { FieldError, problem, ProblemException } from './problem';
import { ErrorCode, genericCodeFor, PROBLEM_CATALOG } from './problem-catalog';
import { withoutQuery } from '../http/url-path';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
  /** Present (true) when `errors` lists only the first MAX_LISTED_ERRORS. */
  truncated?: boolean;
}

/** An error answer lists at most this many field errors, so its size stays bounded whatever was sent. */
export const MAX_LISTED_ERRORS = 20;

/** Turns a library-specific error into a problem, or returns undefined if it is not one it knows. */
export type ErrorMapper = (error: unknown) => ProblemException | undefined;

/** Fastify's own request errors (content-type parsing, body size, JSON syntax), by code. */
const FASTIFY_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
};

/** Problem type URIs by code, each built once. */
const PROBLEM_TYPES = new Map<string, string>();

export function problemType(code: string): string {
  let type = PROBLEM_TYPES.get(code);
  if (type === undefined) {
    type = `urn:problem-type:gateway:${code.toLowerCase().replace(/_/g, '-')}`;
    // Codes are a closed set (the catalog's, a few framework ones): the map stays small.
    if (PROBLEM_TYPES.size < 256) PROBLEM_TYPES.set(code, type);
  }
  return type;
}

/** The problem+json body of `problem` for `request` (RFC 9457 fields plus code and requestId). */
export function problemBody(
  problem: ProblemException,
  request: { url?: string; id?: unknown } | undefined,
): ProblemBody {
  // Built field by field in the order of the answer's JSON (RFC 9457 fields, code, requestId,
  // then errors and truncated when there are field errors).
  const body: ProblemBody = {
    type: problemType(problem.code),
    title: problem.title,
    status: problem.getStatus(),
    detail: problem.detail,
    instance: withoutQuery(request?.url ?? '/'),
    code: problem.code,
    requestId: String(request?.id ?? ''),
  };
  const errors = problem.extras.errors;
  if (errors) {
    body.errors = errors.slice(0, MAX_LISTED_ERRORS);
    if (errors.length > MAX_LISTED_ERRORS) body.truncated = true;
  }
  return body;
}

export function problemHeaders(problem: ProblemException): Record<string, string> {
  const headers: Record<string, string> = { ...(problem.extras.headers ?? {}) };
  if (problem.extras.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(problem.extras.retryAfterSeconds)));
  }
  return headers;
}

const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Writes `problem` as the reply (used by the filter and by Fastify's own framework-error hook). */
export function sendProblem(reply: FastifyReply, request: FastifyRequest | undefined, problem: ProblemException): void {
  if (reply.sent) return;
  void reply.status(problem.getStatus());
  // Most problems (404, 401, 403, validation) carry no headers of their own.
  if (problem.extras.headers !== undefined || problem.extras.retryAfterSeconds !== undefined) {
    void reply.headers(problemHeaders(problem));
  }
  void reply.type(PROBLEM_CONTENT_TYPE).send(problemBody(problem, request));
}

/**
 * The one exit for every error: Nest exceptions, validation, Fastify parser errors, unknown
 * routes, database and upstream failures, and anything unexpected. Unexpected errors answer a
 * generic 500; their details and stack go to the server log only.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly mappers: readonly ErrorMapper[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    // A client over its rate limit gets 429 even when its request was refused for another reason first.
    const problem = answerSetFor(request) ?? this.toProblem(exception, request);

    sendProblem(reply, request, problem);
  }

  private toProblem(exception: unknown, request: FastifyRequest): ProblemException {
    if (exception instanceof ProblemException) return exception;
    for (const mapper of this.mappers) {
      const mapped = mapper(exception);
      if (mapped) return mapped;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Nest re-throws Fastify's request errors (JSON syntax, size, media type) as an
      // HttpException whose response is Fastify's bare message string.
      if (typeof exception.getResponse() === 'string') {
        const fromFastify = fastifyProblemByStatus(status, String(exception.getResponse()));
        if (fromFastify) return fromFastify;
      }
      if (status < 500) {
        const code = genericCodeFor(status) ?? ErrorCode.BAD_REQUEST;
        if (status === 404) return problem(ErrorCode.NOT_FOUND);
        const detail = safeHttpDetail(exception, PROBLEM_CATALOG[code].title);
        return new ProblemException(code, { detail }, { status });
      }
    }
    const fastify = fastifyError(exception);
    if (fastify) return fastify;

    this.logger.error(
      { err: exception, requestId: request?.id, url: (request?.url ?? '').split('?')[0] },
      'Unhandled error',
    );
    const code = exception instanceof HttpException ? genericCodeFor(exception.getStatus()) : undefined;
    if (code) return new ProblemException(code, { detail: PROBLEM_CATALOG[code].title, retryAfterSeconds: 1 });
    return problem(ErrorCode.INTERNAL_ERROR);
  }
}

function safeHttpDetail(exception: HttpException, fallback: string): string {
  const response = exception.getResponse();
  const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  // Nest's own 4xx messages are short fixed strings; anything longer or structured is not echoed.
  return typeof message === 'string' && message.length <= 200 ? message : fallback;
}

function malformedBody(message: string): ProblemException {
  const poisoned = /prototype|constructor/i.test(message);
  return new ProblemException(
    ErrorCode.VALIDATION_FAILED,
    {
      detail: poisoned
        ? 'The body contains a forbidden key (__proto__ or constructor).'
        : 'The request body is not valid JSON.',
      errors: [{ field: 'body', message: poisoned ? 'contains a forbidden key' : 'is not valid JSON' }],
    },
    { title: 'Malformed Request Body' },
  );
}

function fastifyProblemByStatus(status: number, message: string): ProblemException | undefined {
  if (status === 413) return problem(ErrorCode.PAYLOAD_TOO_LARGE);
  if (status === 415) return problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  if (status === 400 && /json|body|prototype|constructor|content-length|unexpected|position/i.test(message))
    return malformedBody(message);
  return undefined;
}

function fastifyError(exception: unknown): ProblemException | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { code, statusCode } = exception as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && FASTIFY_ERRORS[code]) return problem(FASTIFY_ERRORS[code]);
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return problem(ErrorCode.BAD_REQUEST, 'The Content-Length header does not match the body.');
  }
  // Fastify's JSON parser: SyntaxError or prototype-poisoning rejection, both tagged 400.
  if (statusCode === 400) return malformedBody(String((exception as Error).message));
  const generic = typeof statusCode === 'number' && statusCode < 500 ? genericCodeFor(statusCode) : undefined;
  return generic ? new ProblemException(generic, { detail: PROBLEM_CATALOG[generic].title }) : undefined;
}

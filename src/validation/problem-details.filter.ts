import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, FieldError, ProblemException } from './problem';

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

const TITLES: Record<number, [ErrorCode, string]> = {
  400: [ErrorCode.BAD_REQUEST, 'Bad Request'],
  401: [ErrorCode.UNAUTHORIZED, 'Unauthorized'],
  403: [ErrorCode.FORBIDDEN, 'Forbidden'],
  404: [ErrorCode.NOT_FOUND, 'Not Found'],
  405: [ErrorCode.METHOD_NOT_ALLOWED, 'Method Not Allowed'],
  409: [ErrorCode.CONFLICT, 'Conflict'],
  413: [ErrorCode.PAYLOAD_TOO_LARGE, 'Payload Too Large'],
  415: [ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported Media Type'],
  429: [ErrorCode.RATE_LIMITED, 'Too Many Requests'],
  503: [ErrorCode.SERVICE_UNAVAILABLE, 'Service Unavailable'],
};

/** Fastify's own request errors (content-type parsing, body size, JSON syntax), by code. */
const FASTIFY_ERRORS: Record<string, [HttpStatus, ErrorCode, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    'Unsupported Media Type',
    'Send the body as application/json.',
  ],
  FST_ERR_CTP_INVALID_TYPE: [
    415,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    'Unsupported Media Type',
    'Send the body as application/json.',
  ],
  FST_ERR_CTP_BODY_TOO_LARGE: [
    413,
    ErrorCode.PAYLOAD_TOO_LARGE,
    'Payload Too Large',
    'The request body exceeds the size limit.',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    ErrorCode.BAD_REQUEST,
    'Bad Request',
    'The Content-Length header does not match the body.',
  ],
};

export function problemType(code: string): string {
  return `urn:problem-type:gateway:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** The problem+json body of `problem` for `request` (RFC 9457 fields plus code and requestId). */
export function problemBody(
  problem: ProblemException,
  request: { url?: string; id?: unknown } | undefined,
): ProblemBody {
  return {
    type: problemType(problem.code),
    title: problem.title,
    status: problem.getStatus(),
    detail: problem.extras.detail ?? problem.title,
    instance: (request?.url ?? '/').split('?')[0],
    code: problem.code,
    requestId: String(request?.id ?? ''),
    ...(problem.extras.errors ? { errors: problem.extras.errors.slice(0, MAX_LISTED_ERRORS) } : {}),
    ...(problem.extras.errors && problem.extras.errors.length > MAX_LISTED_ERRORS ? { truncated: true } : {}),
  };
}

export function problemHeaders(problem: ProblemException): Record<string, string> {
  const headers: Record<string, string> = { ...(problem.extras.headers ?? {}) };
  if (problem.extras.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(problem.extras.retryAfterSeconds)));
  }
  return headers;
}

/** Writes `problem` as the reply (used by the filter and by Fastify's own framework-error hook). */
export function sendProblem(reply: FastifyReply, request: FastifyRequest | undefined, problem: ProblemException): void {
  if (reply.sent) return;
  void reply
    .status(problem.getStatus())
    .headers(problemHeaders(problem))
    .type('application/problem+json; charset=utf-8')
    .send(problemBody(problem, request));
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
    const problem = this.toProblem(exception, request);

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
        const [code, title] = TITLES[status] ?? [ErrorCode.BAD_REQUEST, 'Bad Request'];
        const detail = status === 404 ? 'The requested resource does not exist.' : safeHttpDetail(exception, title);
        return new ProblemException(status, code, title, { detail });
      }
    }
    const fastify = fastifyError(exception);
    if (fastify) return fastify;

    this.logger.error(
      { err: exception, requestId: request?.id, url: (request?.url ?? '').split('?')[0] },
      'Unhandled error',
    );
    if (exception instanceof HttpException && TITLES[exception.getStatus()]) {
      const [code, title] = TITLES[exception.getStatus()];
      return new ProblemException(exception.getStatus(), code, title, { detail: title, retryAfterSeconds: 1 });
    }
    return new ProblemException(HttpStatus.INTERNAL_SERVER_ERROR, ErrorCode.INTERNAL_ERROR, 'Internal Server Error', {
      detail: 'An unexpected error occurred. Quote the requestId when reporting it.',
    });
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
  return new ProblemException(400, ErrorCode.VALIDATION_FAILED, 'Malformed Request Body', {
    detail: poisoned
      ? 'The body contains a forbidden key (__proto__ or constructor).'
      : 'The request body is not valid JSON.',
    errors: [{ field: 'body', message: poisoned ? 'contains a forbidden key' : 'is not valid JSON' }],
  });
}

function fastifyProblemByStatus(status: number, message: string): ProblemException | undefined {
  if (status === 413)
    return new ProblemException(413, ErrorCode.PAYLOAD_TOO_LARGE, 'Payload Too Large', {
      detail: 'The request body exceeds the size limit.',
    });
  if (status === 415)
    return new ProblemException(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported Media Type', {
      detail: 'Send the body as application/json.',
    });
  if (status === 400 && /json|body|prototype|constructor|content-length|unexpected|position/i.test(message))
    return malformedBody(message);
  return undefined;
}

function fastifyError(exception: unknown): ProblemException | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { code, statusCode } = exception as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && FASTIFY_ERRORS[code]) {
    const [status, problemCode, title, detail] = FASTIFY_ERRORS[code];
    return new ProblemException(status, problemCode, title, { detail });
  }
  // Fastify's JSON parser: SyntaxError or prototype-poisoning rejection, both tagged 400.
  if (statusCode === 400) return malformedBody(String((exception as Error).message));
  if (typeof statusCode === 'number' && TITLES[statusCode] && statusCode < 500) {
    const [problemCode, title] = TITLES[statusCode];
    return new ProblemException(statusCode, problemCode, title, { detail: title });
  }
  return undefined;
}

import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem } from './problem';
import { ErrorCode, PROBLEM_CATALOG } from './problem-catalog';
import { problemBody, sendProblem } from './problem-details.filter';

/**
 * Fastify's router rejects some requests before Nest (and its filter) sees them: a URL that is
 * not valid percent-encoding, a path parameter over maxParamLength. They still answer problem+json,
 * and never echo the URL back.
 */
export function frameworkErrorHandler(
  error: Error & { code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const answer =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? problem(ErrorCode.URI_TOO_LONG, 'A path segment is too long.')
      : error.code === 'FST_ERR_BAD_URL'
        ? problem(ErrorCode.BAD_REQUEST, 'The URL is not valid.')
        : problem(ErrorCode.BAD_REQUEST, 'The request could not be routed.');
  // The URL is what was wrong with the request, so it is not echoed back as `instance` either.
  sendProblem(reply, { url: '/', id: request.id } as FastifyRequest, answer);
}

const CLIENT_ERRORS: Record<string, [ErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: [ErrorCode.HEADERS_TOO_LARGE, 'The request headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [ErrorCode.REQUEST_TIMEOUT, 'The request was not received in time.'],
};

/**
 * True once any byte of the response to the request now on `socket` has been written. Node keeps
 * that response on the socket as `_httpMessage` (and drops it when it finishes), so on a keep-alive
 * socket the earlier responses do not count: `socket.bytesWritten` would (it is cumulative).
 */
export function currentResponseStarted(socket: Socket): boolean {
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return Boolean(current?.headersSent);
}

/**
 * Errors Node's HTTP parser raises on a connection (oversized headers, a request body that never
 * finishes, garbage bytes): a problem+json answer, then the socket closes. That holds on a reused
 * keep-alive socket too, as long as nothing of the current response is on the wire yet.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable || currentResponseStarted(socket)) {
    socket.destroy();
    return;
  }
  const [code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [ErrorCode.BAD_REQUEST, 'The request is malformed.'];
  const { status, title: reason } = PROBLEM_CATALOG[code];
  const body = JSON.stringify(problemBody(problem(code, detail), { url: '/', id: randomUUID() }));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

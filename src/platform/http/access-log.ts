import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as PinoInstance, Level } from 'pino';
// nestjs-pino keeps the request's logger in this store; its Logger reads it on every call.
import { type Store, storage } from 'nestjs-pino/storage';

/** What a log line says about the request: never headers, never the query string (user data). */
export interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  remoteAddress?: string;
}

/** The path of a request URL: everything before the first `?`. */
function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function loggedRequest(request: FastifyRequest): LoggedRequest {
  return {
    id: String(request.id),
    method: request.method,
    url: withoutQuery(request.url),
    remoteAddress: request.raw.socket?.remoteAddress,
  };
}

/** error for 5xx, warn for 4xx, info otherwise. */
export function accessLogLevel(statusCode: number): Level {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

/** The two probe paths, exactly; any other path under /health/ is an ordinary (logged) request. */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/health/live', '/health/ready']);

/**
 * The probes are polled every few seconds by orchestrators; logging them would drown the rest.
 * Only the path part counts (a query string does not make a probe a different request), and only
 * an exact match: `/health/livex` or `/health/ready/../x` are logged like anything else.
 */
export const isProbe = (request: { url: string }): boolean => PROBE_PATHS.has(withoutQuery(request.url));

/**
 * One `request completed` line per request (method, path, id, peer address, status, time), and
 * the request's context for every line logged while it is handled (`req` as above, so a line can
 * be traced to its request).
 *
 * Done with two Fastify hooks instead of pino-http behind Nest's middleware layer: pino-http
 * builds a child logger and serializes the request for every request, logged or not, and the
 * middleware layer adds its own dispatch; together about a third of a protected request's CPU.
 * Here the child logger is built only when a line is logged during the request, and the access
 * line is one call on the root logger.
 */
export function registerAccessLog(instance: FastifyInstance, root: PinoInstance): void {
  // The access line has fixed fields (req: id, method, path, peer address; res: statusCode;
  // responseTime), none of which is or contains a redacted path, so pino's structural redaction
  // (wildcard paths walked on every line, about a tenth of the access log's CPU) is skipped for it.
  // The root's streamWrite hook, which masks every configured secret value in the serialised
  // line, still applies: a child keeps its parent's hooks.
  const access = root.child({}, { redact: [] });
  instance.addHook('onRequest', (request, _reply, done) => {
    let child: PinoInstance | undefined;
    // Entered at the start of the request's own handling: every later step of this request
    // (guards, handlers, their awaits) runs in this context. The next request on the same
    // connection enters its own here before anything of it is logged.
    storage.enterWith({
      get logger() {
        return (child ??= root.child({ req: loggedRequest(request) }));
      },
    } as Store);
    done();
  });
  instance.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (!isProbe(request)) {
      const statusCode = reply.statusCode;
      access[accessLogLevel(statusCode)](
        { req: loggedRequest(request), res: { statusCode }, responseTime: Math.round(reply.elapsedTime) },
        'request completed',
      );
    }
    done();
  });
}

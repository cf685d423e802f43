import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as PinoInstance, Level } from 'pino';
// nestjs-pino keeps the request's logger in this store; its Logger reads it on every call.
import { type Store, storage } from 'nestjs-pino/storage';
import { withoutQuery } from './url-path';

/** What a log line says about the request: never headers, never the query string (user data). */
export interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  remoteAddress?: string;
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
 * The log context of one request: its child logger (`req` as in loggedRequest) is built the first
 * time a line is logged during the request, not for every request. A class instance, not an
 * object literal with a getter: such a literal is built through V8's slow path on every request.
 *
 * It keeps the few strings a line needs, never the request: the store stays with the connection's
 * HTTP parser until the connection's next request enters its own, so an idle keep-alive
 * connection would otherwise hold its last request (headers, body, IncomingMessage) for as long
 * as it stays open.
 */
class RequestLogContext {
  private child: PinoInstance | undefined;
  private readonly req: LoggedRequest;

  constructor(
    private readonly root: PinoInstance,
    request: FastifyRequest,
  ) {
    this.req = loggedRequest(request);
  }

  get logger(): PinoInstance {
    return (this.child ??= this.root.child({ req: this.req }));
  }
}

/**
 * Enters `request`'s log context: call it at the start of the request's own handling (an
 * onRequest hook), so that every later step of this request (guards, handlers, their awaits) runs
 * in it. The next request on the same connection enters its own before anything of it is logged.
 */
export function logContextEntry(root: PinoInstance): (request: FastifyRequest) => void {
  return (request) => storage.enterWith(new RequestLogContext(root, request) as unknown as Store);
}

/**
 * One `request completed` line per request (method, path, id, peer address, status, time), with
 * an onResponse hook. The access line has fixed fields (req: id, method, path, peer address; res:
 * statusCode; responseTime), none of which is or contains a redacted path, so pino's structural
 * redaction (wildcard paths walked on every line, about a tenth of the access log's CPU) is
 * skipped for it. The root's streamWrite hook, which masks every configured secret value in the
 * serialised line, still applies: a child keeps its parent's hooks.
 */
export function registerAccessLine(instance: FastifyInstance, root: PinoInstance): void {
  const access = root.child({}, { redact: [] });
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

/**
 * The access line (registerAccessLine) and the request's context for every line logged while it
 * is handled (logContextEntry, entered from an onRequest hook of its own here; the application
 * enters it from its one onRequest hook instead).
 *
 * Done with Fastify hooks instead of pino-http behind Nest's middleware layer: pino-http builds a
 * child logger and serializes the request for every request, logged or not, and the middleware
 * layer adds its own dispatch; together about a third of a protected request's CPU. Here the
 * child logger is built only when a line is logged during the request, and the access line is one
 * call on the root logger.
 */
export function registerAccessLog(instance: FastifyInstance, root: PinoInstance): void {
  const enter = logContextEntry(root);
  instance.addHook('onRequest', (request, _reply, done) => {
    enter(request);
    done();
  });
  registerAccessLine(instance, root);
}

import pino, { type Logger as PinoInstance } from 'pino';
import type { Params } from 'nestjs-pino';
import type { Env } from '../config/environment';
import { REDACTED, REDACTED_LOG_PATHS, secretValueRedactor } from './redaction';

/**
 * The application's root logger: structured JSON lines. Headers and fields that carry
 * credentials are censored by path; any configured secret value that still reaches a line (an
 * error message quoting a URL, say) is masked in the serialised output.
 */
export function createRootLogger(env: Env, destination?: NodeJS.WritableStream): PinoInstance {
  const options: pino.LoggerOptions = {
    level: env.LOG_LEVEL,
    redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
    hooks: { streamWrite: secretValueRedactor(env as unknown as Record<string, unknown>) },
  };
  // stdout through an asynchronous sonic-boom: while one write is in flight, later lines gather
  // and go out in one write (a write(2) per line was a visible share of a request's CPU). pino
  // flushes it synchronously on exit; a SIGKILL can lose the lines of the last moment.
  return pino(
    options,
    (destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * nestjs-pino serves Nest's Logger from `root`. Its per-request middleware (pino-http through
 * Nest's middleware layer: a child logger with the serialized request built for every request)
 * is not used: the access log and the request context of log lines come from Fastify hooks (see
 * src/platform/http/access-log.ts), which cost a fraction of it per request.
 */
export function loggerOptions(root: PinoInstance): Params {
  return { pinoHttp: { logger: root }, forRoutes: [] };
}

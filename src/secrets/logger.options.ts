import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { Env } from '../config/environment';
import { REDACTED, REDACTED_LOG_PATHS, secretValueRedactor } from './redaction';

/**
 * Structured JSON logs. Headers and fields that carry credentials are censored by path; any
 * configured secret value that still reaches a line (an error message quoting a URL, say) is
 * masked in the serialised output.
 */
export function loggerOptions(env: Env, destination?: NodeJS.WritableStream): Params {
  const redactSecrets = secretValueRedactor(env as unknown as Record<string, unknown>);
  return {
    // Every route, in Nest 11's path syntax (nestjs-pino's default `*` makes Nest log a legacy-route
    // warning at every boot).
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: [
      {
        level: env.LOG_LEVEL,
        redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
        hooks: { streamWrite: redactSecrets },
        // Fastify assigns the request id first (see request-id.ts); reuse it so both agree.
        genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? randomUUID(),
        customLogLevel: (_req, res, err) =>
          err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        serializers: {
          req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
            id: req.id,
            method: req.method,
            // The path only: query strings are not logged, they may carry user data.
            url: typeof req.url === 'string' ? req.url.split('?')[0] : req.url,
            remoteAddress: req.remoteAddress,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        // Under Nest's middleware layer req.url is relative to the mount point; originalUrl is the path.
        autoLogging: {
          ignore: (req) =>
            ((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '').startsWith('/health/'),
        },
      },
      ...(destination ? [destination] : []),
    ] as Params['pinoHttp'],
  };
}

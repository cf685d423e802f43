import { INestApplication, LoggerService, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { Logger as PinoInstance } from 'pino';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions, ROOT_LOGGER } from './app.module';
import { logContextEntry, registerAccessLine } from './platform/http/access-log';
import { docsEnabled, Env } from './platform/config/environment';
import { databaseErrorToProblem } from './platform/database/database-errors';
import { constraintViolationToProblem } from './platform/database/constraint-violations';
import { registerHttpMetrics } from './platform/metrics/http-metrics';
import { UnmatchedRouteLimit } from './platform/rate-limit/unmatched-route-limit';
import { MetricsService } from './platform/metrics/metrics.service';
import { clientErrorHandler, frameworkErrorHandler } from './platform/problems/framework-errors';
import { staticSecurityHeaders } from './platform/http/security-headers';
import { registerJsonBodyParser } from './platform/validation/json-body';
import { ProblemDetailsFilter } from './platform/problems/problem-details.filter';
import { REQUEST_ID_HEADER, requestIdFor } from './platform/validation/request-id';
import { createValidationPipe } from './platform/validation/validation.pipe';
import { authErrorToProblem } from './features/auth';

/**
 * Fastify's trustProxy from TRUST_PROXY: unset trusts nothing (the socket address is the client);
 * a whole number trusts that many hops; otherwise a comma-separated list of IPs/CIDRs. A hop count
 * is handed over as a trust function (the address `hop` steps from the socket is a trusted proxy
 * while `hop` is below the count): Fastify 5.12 trusts nothing for a bare number.
 */
export function trustProxySetting(
  value: string | undefined,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === undefined || value.trim() === '') return false;
  if (/^\d+$/.test(value.trim())) {
    const hops = Number(value.trim());
    return (_address, hop) => hop < hops;
  }
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Nest's RoutesResolver logs each controller with the global prefix prepended, even when every
 * route of it is excluded from the prefix (it prints "/v1/health" for the probes at /health/*).
 * RouterExplorer's per-route "Mapped {/health/live, GET}" lines that follow are exact, so only the
 * misleading per-controller line is dropped.
 */
function withoutPrefixedControllerLines(logger: LoggerService): LoggerService {
  return {
    log: (message: unknown, ...rest: unknown[]) => {
      if (rest[rest.length - 1] !== 'RoutesResolver') logger.log(message, ...rest);
    },
    error: (message: unknown, ...rest: unknown[]) => logger.error(message, ...rest),
    warn: (message: unknown, ...rest: unknown[]) => logger.warn(message, ...rest),
    debug: (message: unknown, ...rest: unknown[]) => logger.debug?.(message, ...rest),
    verbose: (message: unknown, ...rest: unknown[]) => logger.verbose?.(message, ...rest),
    fatal: (message: unknown, ...rest: unknown[]) => logger.fatal?.(message, ...rest),
  };
}

/** Every API route lives under /v1; the health probes stay at the root. */
export function applyRoutePrefix(app: INestApplication): void {
  app.setGlobalPrefix('v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
}

/**
 * Errors from feature infrastructure and libraries that the problem filter maps to problems, first
 * match wins: the features' own errors first (a lockout store error may carry a driver message
 * such as ECONNREFUSED that the database mapper would also claim).
 */
export const ERROR_MAPPERS = [authErrorToProblem, databaseErrorToProblem, constraintViolationToProblem];

/** Builds the application exactly as production runs it; tests call this too. */
export async function createApp(env: Env, options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    trustProxy: trustProxySetting(env.TRUST_PROXY),
    genReqId: requestIdFor,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // A request (headers and body) must arrive within this time: slow-body clients cannot pin sockets.
    requestTimeout: env.REQUEST_TIMEOUT_MS,
    // Node needs headersTimeout <= requestTimeout at construction, and checks both on this
    // interval (its default, 30 s, would let the limit overrun).
    http: {
      requestTimeout: env.REQUEST_TIMEOUT_MS,
      headersTimeout: Math.min(env.REQUEST_TIMEOUT_MS, 20_000),
      connectionsCheckingInterval: Math.min(1000, env.REQUEST_TIMEOUT_MS),
    },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    routerOptions: { maxParamLength: 200 },
    // Nest's logger handles logs; Fastify's own is off so nothing bypasses redaction.
    logger: false,
  });
  const instance = adapter.getInstance();
  // JSON only: Fastify also parses text/plain by default; without a parser it answers 415.
  instance.removeContentTypeParser('text/plain');
  // Our JSON parser: the size limit plus depth, key and array bounds, before anything recursive runs.
  registerJsonBodyParser(instance, env.BODY_LIMIT_BYTES);
  // One onRequest hook does the per-request groundwork: every response carries helmet's security
  // headers (computed once: helmet's own middlewares, run per request, cost about 5 % of a
  // protected request's CPU) and its request id, and every line logged while the request is
  // handled carries the request's context. The log context needs the root logger, which exists
  // once Nest has built the modules (below); no request is served before that.
  const securityHeaders = staticSecurityHeaders();
  const logContext: { enter?: (request: FastifyRequest) => void } = {};
  instance.addHook('onRequest', (request, reply, done) => {
    void reply.headers(securityHeaders);
    void reply.header(REQUEST_ID_HEADER, request.id);
    logContext.enter?.(request);
    done();
  });
  // Graceful shutdown: responses finishing after close began carry `Connection: close`, so their
  // keep-alive sockets end with them and close() completes as soon as in-flight work is done.
  let closing = false;
  instance.addHook('preClose', () => {
    closing = true;
    return Promise.resolve();
  });
  instance.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env, options), adapter, {
    // Nest's default (coloured, unredacted) logger stays off; pino takes over below.
    logger: false,
    abortOnError: false,
    // Nest would add a urlencoded parser; Fastify's own JSON parser (with the limits above) is all we accept.
    bodyParser: false,
  });
  app.useLogger(withoutPrefixedControllerLines(app.get(Logger)));
  const root = app.get<PinoInstance>(ROOT_LOGGER);
  logContext.enter = logContextEntry(root);
  registerAccessLine(instance, root);
  registerHttpMetrics(instance, app.get(MetricsService));
  // Unmatched paths (404) never reach the guards; this counts them against the global budget.
  app.get(UnmatchedRouteLimit).register(instance);

  if (env.CORS_ORIGINS.length > 0) {
    app.enableCors({
      origin: [...env.CORS_ORIGINS],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: [
        'X-Request-Id',
        'Retry-After',
        'RateLimit',
        'RateLimit-Policy',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      maxAge: 600,
    });
  }

  applyRoutePrefix(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(ERROR_MAPPERS));
  app.enableShutdownHooks();

  if (docsEnabled(env)) {
    // Loaded only here: the document builder and the UI are not in an instance with docs off
    // (controllers and DTOs take their decorators from platform/openapi/decorators).
    const [{ SwaggerModule }, { createOpenApiDocument }] = await Promise.all([
      import('@nestjs/swagger'),
      import('./platform/openapi/openapi-document'),
    ]);
    SwaggerModule.setup('docs', app, () => createOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  }
  return app;
}

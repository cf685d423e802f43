import { Inject, Injectable } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import { isProbe } from '../http/access-log';
import type { ProblemException } from '../problems';
import { answerInstead } from '../problems/answer-instead';
import { sendProblem } from '../problems/problem-details.filter';
import type { AuthRateLimitRouteConfig } from './auth-rate-limit.decorator';
import { budgetKey, clientAddress } from './client-identity';
import type { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { countedLimits, rateLimitHeaders } from './rate-limit-headers';
import { rateLimited } from './rate-limit.guard';
import type { LimitCheck } from './redis-rate-limit.storage';

/** The status of a client error (4xx) Fastify or a body parser raised, else undefined. */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { getStatus, statusCode } = error as { getStatus?: unknown; statusCode?: unknown };
  const status = typeof getStatus === 'function' ? (getStatus as () => unknown).call(error) : statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Requests the guards never see spend the client's `global` budget like any other request, in the
 * same storage and budget as RateLimitGuard, with the same headers and the same 429 RATE_LIMITED
 * once the budget is spent:
 * - unmatched paths (404): guards run only for matched routes, so an `onRequest` hook counts
 *   them, and probing for paths is neither free nor unlimited;
 * - bodies refused on a matched route before Nest's handler (and so its guards) runs: malformed
 *   or too deeply nested JSON (400), too large (413), another media type (415). An `onError` hook
 *   counts them, against `auth` as well on the credential routes (@AuthRateLimit marks their
 *   Fastify route config); a client already over its budget gets 429 instead of the 4xx.
 * Errors raised after the guards ran are answered by Nest's own exception path, which never
 * reaches Fastify's `onError`, so no request is counted twice.
 */
@Injectable()
export class UnmatchedRouteLimit {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @InjectThrottlerOptions() private readonly options: ThrottlerModuleOptions,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  /** A named limit of the module as the storage counts it (fixed numbers only). */
  private check(name: string): LimitCheck {
    const throttlers = Array.isArray(this.options) ? this.options : this.options.throttlers;
    const throttler: ThrottlerOptions | undefined = throttlers.find((t) => t.name === name);
    if (!throttler) throw new Error(`the rate-limit module has no \`${name}\` limit`);
    const limit = Number(throttler.limit);
    const ttl = Number(throttler.ttl);
    if (!Number.isFinite(limit) || !Number.isFinite(ttl))
      throw new Error(`the \`${name}\` limit must be fixed numbers`);
    return { name, limit, ttl, blockDuration: Number(throttler.blockDuration ?? ttl) };
  }

  register(instance: FastifyInstance): void {
    const global = [this.check('global')];
    // The credential routes (@AuthRateLimit, seen here through their route config) also spend `auth`.
    const credential = [this.check('global'), this.check('auth')];
    const storage = this.storage as FallbackThrottlerStorage;

    /** Counts one request against `checks` (in order, up to the first refusal), sets the headers, and answers the refusal if any. */
    const charge = async (
      request: FastifyRequest,
      reply: FastifyReply,
      checks: readonly LimitCheck[],
    ): Promise<ProblemException | undefined> => {
      const records = await storage.incrementAll(budgetKey(clientAddress(request)), checks);
      const { states, refusal } = countedLimits(checks, records);
      void reply.headers(rateLimitHeaders(states));
      if (!refusal) return undefined;
      this.metrics.rateLimited(refusal.name);
      return rateLimited(refusal.timeToBlockExpire);
    };

    // A callback hook, not an async one: matched requests (nearly all) pay one property read.
    instance.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      if (!request.is404) return done();
      charge(request, reply, global).then(
        (refusal) => {
          if (!refusal) return done();
          // Answered here; the request goes no further (done is not called).
          sendProblem(reply, request, refusal);
        },
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    });

    instance.addHook('onError', (request: FastifyRequest, reply: FastifyReply, error: Error, done: () => void) => {
      // 404s were counted on the way in; the probes are exempt; 5xx are the gateway's own failures.
      if (request.is404 || isProbe(request) || clientErrorStatus(error) === undefined) return done();
      const config = request.routeOptions.config as AuthRateLimitRouteConfig | undefined;
      charge(request, reply, config?.authRateLimit === true ? credential : global).then(
        (refusal) => {
          if (refusal) answerInstead(request, refusal);
          done();
        },
        // The storage falls back to memory when Redis is down; if even that fails, the 4xx stands.
        () => done(),
      );
    });
  }
}

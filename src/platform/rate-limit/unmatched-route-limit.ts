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
import { budgetKey, clientAddress } from './client-identity';
import type { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { limitState, rateLimitHeaders } from './rate-limit-headers';
import { rateLimited } from './rate-limit.guard';

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
 *   counts them; a client already over its budget gets 429 instead of the 4xx.
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

  private globalLimit(): ThrottlerOptions {
    const throttlers = Array.isArray(this.options) ? this.options : this.options.throttlers;
    const global = throttlers.find((throttler) => throttler.name === 'global');
    if (!global) throw new Error('the rate-limit module has no `global` limit');
    return global;
  }

  register(instance: FastifyInstance): void {
    const global = this.globalLimit();
    const limit = Number(global.limit);
    const ttl = Number(global.ttl);
    if (!Number.isFinite(limit) || !Number.isFinite(ttl)) throw new Error('the `global` limit must be fixed numbers');
    const check = { name: 'global', limit, ttl, blockDuration: Number(global.blockDuration ?? ttl) };
    const storage = this.storage as FallbackThrottlerStorage;

    /** Counts one request against `global`, sets the headers, and answers the refusal if it is one. */
    const charge = async (request: FastifyRequest, reply: FastifyReply): Promise<ProblemException | undefined> => {
      const [record] = await storage.incrementAll(budgetKey(clientAddress(request)), [check]);
      if (!record) throw new Error('the rate-limit storage answered no record for the global limit');
      void reply.headers(rateLimitHeaders([limitState(check, record)]));
      if (!record.isBlocked) return undefined;
      this.metrics.rateLimited(check.name);
      return rateLimited(record.timeToBlockExpire);
    };

    // A callback hook, not an async one: matched requests (nearly all) pay one property read.
    instance.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      if (!request.is404) return done();
      charge(request, reply).then(
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
      charge(request, reply).then(
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

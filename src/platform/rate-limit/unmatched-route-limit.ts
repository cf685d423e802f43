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
import { sendProblem } from '../problems/problem-details.filter';
import { budgetKey, clientAddress } from './client-identity';
import type { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { limitState, rateLimitHeaders } from './rate-limit-headers';
import { rateLimited } from './rate-limit.guard';

/**
 * Requests no route matched (404) spend the client's `global` budget like any other request, so
 * probing for paths is neither free nor unlimited. Guards run only for matched routes, so this is
 * a Fastify onRequest hook that counts the 404s itself, in the same storage and budget as
 * RateLimitGuard, and answers 429 RATE_LIMITED (with the same headers) once the budget is spent.
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

    // A callback hook, not an async one: matched requests (nearly all) pay one property read.
    instance.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      if (!request.is404) return done();
      storage.incrementAll(budgetKey(clientAddress(request)), [check]).then(
        ([record]) => {
          if (!record) return done(new Error('the rate-limit storage answered no record for the global limit'));
          void reply.headers(rateLimitHeaders([limitState(check, record)]));
          if (!record.isBlocked) return done();
          this.metrics.rateLimited(check.name);
          // Answered here; the request goes no further (done is not called).
          sendProblem(reply, request, rateLimited(record.timeToBlockExpire));
        },
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    });
  }
}

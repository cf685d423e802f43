import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import { ErrorCode, problem, type ProblemException } from '../problems';
import { budgetKey, clientAddress } from './client-identity';
import type { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { limitState, rateLimitHeaders } from './rate-limit-headers';
import type { LimitCheck } from './redis-rate-limit.storage';

/**
 * The global guard: every named limit that applies to the route (see RateLimitModule) counts one
 * hit for the client, all of them in one storage call (one Redis round trip); the first exhausted
 * one answers 429 RATE_LIMITED with Retry-After. Which limits apply, and with which limit, ttl
 * and block duration, is decided by the base ThrottlerGuard (@SkipRateLimit/@SkipThrottle,
 * `skipIf`, @Throttle overrides), which hands each one to `handleRequest`; here that only collects
 * them, and `canActivate` counts them together once the base guard is done.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly planned = new WeakMap<object, LimitCheck[]>();
  @Inject(MetricsService) private readonly metrics!: MetricsService;

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const checks: LimitCheck[] = [];
    this.planned.set(req, checks);
    try {
      await super.canActivate(context);
    } finally {
      this.planned.delete(req);
    }
    if (checks.length === 0) return true;

    const budget = budgetKey(clientAddress(req as unknown as FastifyRequest));
    const storage = this.storageService as FallbackThrottlerStorage;
    const records = await storage.incrementAll(budget, checks);

    // One record per check, in order, up to the first that refuses: the limits after it were not counted.
    if (records.length === 0 || records.length > checks.length) {
      throw new Error(`the rate-limit storage answered ${records.length} records for ${checks.length} limits`);
    }
    const counted = records.map((record, i) => ({ check: checks[i] as LimitCheck, record }));
    const states = counted.map(({ check, record }) => limitState(check, record));
    void (res as unknown as FastifyReply).headers(rateLimitHeaders(states));

    const refused = counted.find(({ record }) => record.isBlocked);
    if (refused) {
      this.metrics.rateLimited(refused.check.name);
      throw rateLimited(refused.record.timeToBlockExpire);
    }
    return true;
  }

  /** Called by the base guard once per named limit that applies: collected, counted in canActivate. */
  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { req } = this.getRequestResponse(request.context);
    this.planned.get(req)?.push({
      name: request.throttler.name ?? 'default',
      ttl: request.ttl,
      limit: request.limit,
      blockDuration: request.blockDuration,
    });
    return Promise.resolve(true);
  }
}

export function rateLimited(timeToBlockExpire: number): ProblemException {
  const retryAfterSeconds = Math.max(1, timeToBlockExpire);
  return problem(
    ErrorCode.RATE_LIMITED,
    `Too many requests from this client. Retry after ${retryAfterSeconds} seconds.`,
    {
      retryAfterSeconds,
    },
  );
}

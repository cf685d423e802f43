import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import { ErrorCode, problem } from '../problems';
import { budgetKey, clientAddress } from './client-identity';
import { LimitState, rateLimitHeaders } from './rate-limit-headers';

/**
 * The global guard: every named limit that applies to the route (see RateLimitModule) counts one
 * hit for the client; the first exhausted one answers 429 RATE_LIMITED with Retry-After.
 * Routes marked @SkipRateLimit() are skipped by the base guard before any of this runs.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Limits already evaluated for a response, so each header lists every policy that applied. */
  private readonly applied = new WeakMap<object, LimitState[]>();
  @Inject(MetricsService) private readonly metrics!: MetricsService;

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve(clientAddress(request as unknown as FastifyRequest));
  }

  /** One budget per client and limit, shared by every route that limit covers. */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return budgetKey(tracker);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = request;
    const { req, res } = this.getRequestResponse(context);
    const name = throttler.name ?? 'default';
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, name);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);

    const states = [...(this.applied.get(res) ?? [])];
    states.push({
      name,
      limit,
      windowSeconds: Math.ceil(ttl / 1000),
      remaining: record.isBlocked ? 0 : Math.max(0, limit - record.totalHits),
      resetSeconds: Math.max(1, record.isBlocked ? record.timeToBlockExpire : record.timeToExpire),
    });
    this.applied.set(res, states);
    void (res as unknown as FastifyReply).headers(rateLimitHeaders(states));

    if (record.isBlocked) {
      this.metrics.rateLimited(name);
      await this.throwThrottlingException(context, { limit, ttl, key, tracker, ...record });
    }
    return true;
  }

  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfterSeconds = Math.max(1, detail.timeToBlockExpire);
    throw problem(
      ErrorCode.RATE_LIMITED,
      `Too many requests from this client. Retry after ${retryAfterSeconds} seconds.`,
      {
        retryAfterSeconds,
      },
    );
  }
}

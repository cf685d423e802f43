import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PerRoute } from '../http/route-metadata';
import { MetricsService } from '../metrics/metrics.service';
import { ErrorCode, problem, type ProblemException } from '../problems';
import { budgetKey, clientAddress } from './client-identity';
import type { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { countedLimits, rateLimitHeaders } from './rate-limit-headers';
import { type CounterKeyOf, type CounterRead, keepCounterReads, READ_WITH_RATE_LIMIT } from './read-with-rate-limit';
import type { LimitCheck } from './redis-rate-limit.storage';

/** The metadata keys @nestjs/throttler's decorators write (@SkipThrottle, @Throttle), per limit name. */
const SKIP = 'THROTTLER:SKIP';
const LIMIT = 'THROTTLER:LIMIT';
const TTL = 'THROTTLER:TTL';
const BLOCK_DURATION = 'THROTTLER:BLOCK_DURATION';

type Resolvable = ThrottlerOptions['limit'];

const NO_READS: readonly string[] = [];

/** The answer of a route no limit applies to (one settled promise, shared). */
const ALLOWED: Promise<boolean> = Promise.resolve(true);

/**
 * One named limit as it applies to one route: either fixed numbers (`check`), or, when an option
 * is a function of the request, what to call per request. `skipIf` is always asked per request.
 */
interface PlannedLimit {
  name: string;
  skipIf: ThrottlerOptions['skipIf'];
  check: LimitCheck | undefined;
  limit: Resolvable;
  ttl: Resolvable;
  blockDuration: Resolvable | undefined;
}

/** A route's rate-limit plan: its limits, and the counter its script call also reads (@ReadWithRateLimit). */
interface RoutePlan {
  limits: readonly PlannedLimit[];
  read: CounterKeyOf | undefined;
}

/**
 * The global guard: every named limit that applies to the route (see RateLimitModule) counts one
 * hit for the client, all of them in one storage call (one Redis round trip); the first exhausted
 * one answers 429 RATE_LIMITED with Retry-After.
 *
 * Which limits apply, with which limit, ttl and block duration, follows @nestjs/throttler's rules
 * (@SkipRateLimit/@SkipThrottle, @Throttle overrides on the handler or its controller, the module's
 * limits in the base guard's order), but the route's decorators are read once per (controller,
 * handler), not on every request; what depends on the request (`skipIf`, an option given as a
 * function) is still evaluated on every request. A route marked @ReadWithRateLimit has its counter
 * read in the same script call, kept for the request (counterReadWithRateLimit).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  @Inject(MetricsService) private readonly metrics!: MetricsService;
  private readonly plans = new PerRoute<RoutePlan>((handler, controller) => ({
    limits: this.plan([handler, controller]),
    read: this.reflector.get<CounterKeyOf | undefined>(READ_WITH_RATE_LIMIT, handler),
  }));

  /**
   * Not an `async` function: on the usual path (every limit of the route has fixed numbers) the
   * answer is the storage call's own promise, read in a `then`, with no promise of the guard's.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.plans.of(context);
    const checks: LimitCheck[] = [];
    for (const [index, planned] of plan.limits.entries()) {
      if (planned.skipIf?.(context)) continue;
      if (planned.check === undefined) return this.countResolving(plan, context, checks, index);
      checks.push(planned.check);
    }
    return this.count(plan, checks, context);
  }

  /**
   * canActivate from `plan.limits[from]` on: that limit (not skipped) has numbers that are
   * functions of the request. Each limit's `skipIf` is still asked once, as on the usual path.
   */
  private async countResolving(
    plan: RoutePlan,
    context: ExecutionContext,
    checks: LimitCheck[],
    from: number,
  ): Promise<boolean> {
    for (const [offset, planned] of plan.limits.slice(from).entries()) {
      if (offset > 0 && planned.skipIf?.(context)) continue;
      checks.push(planned.check ?? (await this.resolveCheck(planned, context)));
    }
    return this.count(plan, checks, context);
  }

  /** One storage call for `checks`; 429 RATE_LIMITED when one refuses. */
  private count(plan: RoutePlan, checks: readonly LimitCheck[], context: ExecutionContext): Promise<boolean> {
    if (checks.length === 0) return ALLOWED;
    const { req, res } = this.getRequestResponse(context);
    const budget = budgetKey(clientAddress(req as unknown as FastifyRequest));
    const storage = this.storageService as FallbackThrottlerStorage;
    // incrementAllAndRead directly, not through incrementAll: one async layer less per request.
    const key = plan.read?.(budget);
    return storage.incrementAllAndRead(budget, checks, key === undefined ? NO_READS : [key]).then((answer) => {
      const read = answer.reads?.[0];
      if (key !== undefined && read) keepCounterReads(req, new Map<string, CounterRead>([[key, read]]));
      const { states, refusal } = countedLimits(checks, answer.records);
      void (res as unknown as FastifyReply).headers(rateLimitHeaders(states));
      if (refusal) {
        this.metrics.rateLimited(refusal.name);
        throw rateLimited(refusal.timeToBlockExpire);
      }
      return true;
    });
  }

  /** The module's limits (sorted and named by the base guard's onModuleInit) as they apply to one route. */
  private plan(targets: [object, object]): PlannedLimit[] {
    const planned: PlannedLimit[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      if (this.reflector.getAllAndOverride<boolean | undefined>(SKIP + name, targets as never)) continue;
      const limit =
        this.reflector.getAllAndOverride<Resolvable | undefined>(LIMIT + name, targets as never) ?? throttler.limit;
      const ttl =
        this.reflector.getAllAndOverride<Resolvable | undefined>(TTL + name, targets as never) ?? throttler.ttl;
      const blockDuration =
        this.reflector.getAllAndOverride<Resolvable | undefined>(BLOCK_DURATION + name, targets as never) ??
        throttler.blockDuration;
      const fixed = typeof limit !== 'function' && typeof ttl !== 'function' && typeof blockDuration !== 'function';
      const entry: PlannedLimit = {
        name,
        skipIf: throttler.skipIf ?? this.commonOptions.skipIf,
        check: undefined,
        limit,
        ttl,
        blockDuration,
      };
      if (fixed) {
        const ttlMs = toNumber(ttl, 'ttl', name);
        entry.check = {
          name,
          limit: toNumber(limit, 'limit', name),
          ttl: ttlMs,
          blockDuration: toNumber(blockDuration ?? ttlMs, 'blockDuration', name),
        };
      }
      planned.push(entry);
    }
    return planned;
  }

  /** A limit with an option that is a function of the request: resolved for this request. */
  private async resolveCheck(planned: PlannedLimit, context: ExecutionContext): Promise<LimitCheck> {
    const { name } = planned;
    const limit = toNumber(await resolve(planned.limit, context), 'limit', name);
    const ttl = toNumber(await resolve(planned.ttl, context), 'ttl', name);
    const blockDuration = toNumber(await resolve(planned.blockDuration ?? ttl, context), 'blockDuration', name);
    return { name, limit, ttl, blockDuration };
  }
}

function resolve(value: Resolvable | undefined, context: ExecutionContext): unknown {
  return typeof value === 'function' ? value(context) : value;
}

/** As the base guard reads a limit's option: a number, or a numeric string. */
function toNumber(value: unknown, option: string, name: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new Error(
      `Invalid "${option}" for the "${name}" throttler: expected a number, got ${JSON.stringify(value)}.`,
    );
  }
  return number;
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

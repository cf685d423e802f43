import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { seconds, ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.constants';
import { isAuthRoute } from './client-identity';
import { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitReadiness } from './rate-limit.readiness';

/** The two named limits; SkipRateLimit() must name each of them. */
export function rateLimitOptions(env: Env, redis: Redis, metrics: MetricsService): ThrottlerModuleOptions {
  const storage = new FallbackThrottlerStorage(redis);
  metrics.watchRedisFallback(() => storage.store === 'memory-fallback');
  return {
    storage,
    throttlers: [
      { name: 'global', limit: env.RATE_LIMIT_GLOBAL_LIMIT, ttl: seconds(env.RATE_LIMIT_GLOBAL_TTL_SECONDS) },
      {
        name: 'auth',
        limit: env.RATE_LIMIT_AUTH_LIMIT,
        ttl: seconds(env.RATE_LIMIT_AUTH_TTL_SECONDS),
        skipIf: (context) => !isAuthRoute(context),
      },
    ],
  };
}

/**
 * Rate limiting for every route: `global` everywhere, the stricter `auth` on /v1/auth/*, counted
 * in the shared Redis (per-instance memory while Redis is away). Exempt routes use SkipRateLimit().
 */
@Module({
  imports: [
    TerminusModule,
    ThrottlerModule.forRootAsync({ inject: [ENV, REDIS, MetricsService], useFactory: rateLimitOptions }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }, RateLimitReadiness],
  exports: [RateLimitReadiness],
})
export class RateLimitModule {}

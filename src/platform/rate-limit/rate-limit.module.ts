import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { seconds, ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { ConfigType } from '@nestjs/config';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS, type RedisClient } from '../redis/redis.constants';
import { isAuthRoute } from './client-identity';
import { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { rateLimitConfig } from './rate-limit.config';
import { RateLimitGuard } from './rate-limit.guard';
import { UnmatchedRouteLimit } from './unmatched-route-limit';

/** The two named limits; SkipRateLimit() must name each of them. */
export function rateLimitOptions(
  config: ConfigType<typeof rateLimitConfig>,
  redis: RedisClient,
  metrics: MetricsService,
): ThrottlerModuleOptions {
  const storage = new FallbackThrottlerStorage(redis);
  metrics.watchRedisFallback(() => storage.store === 'memory-fallback');
  return {
    storage,
    throttlers: [
      { name: 'global', limit: config.global.limit, ttl: seconds(config.global.ttlSeconds) },
      {
        name: 'auth',
        limit: config.auth.limit,
        ttl: seconds(config.auth.ttlSeconds),
        skipIf: (context) => !isAuthRoute(context),
      },
    ],
  };
}

/**
 * Rate limiting for every route: `global` everywhere, the stricter `auth` on login/refresh/logout, counted
 * in the shared Redis (per-instance memory while Redis is away). Exempt routes use SkipRateLimit().
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [rateLimitConfig.KEY, REDIS, MetricsService],
      useFactory: rateLimitOptions,
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }, UnmatchedRouteLimit],
  exports: [UnmatchedRouteLimit],
})
export class RateLimitModule {}

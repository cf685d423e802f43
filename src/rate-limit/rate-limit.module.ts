import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { seconds, ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { REDIS, type RedisClient } from '../redis/redis.constants';
import { isAuthRoute } from './client-identity';
import { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitReadiness } from './rate-limit.readiness';

/** The two named limits; SkipRateLimit() must name each of them. */
export function rateLimitOptions(env: Env, redis: RedisClient): ThrottlerModuleOptions {
  return {
    storage: new FallbackThrottlerStorage(redis),
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
  imports: [TerminusModule, ThrottlerModule.forRootAsync({ inject: [ENV, REDIS], useFactory: rateLimitOptions })],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }, RateLimitReadiness],
  exports: [RateLimitReadiness],
})
export class RateLimitModule {}

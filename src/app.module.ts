import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module';
import { CONFIG_SLICES } from './app.config';
import { AuthModule } from './auth/auth.module';
import { AppConfigModule } from './config/config.module';
import type { Env } from './config/environment';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { PaymentsModule } from './payments/payments.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RateLimitReadiness } from './rate-limit/rate-limit.readiness';
import { RedisModule } from './redis/redis.module';
import { ProviderBreakerDetail } from './resilience/provider-breaker.detail';
import { ResilienceModule } from './resilience/resilience.module';
import { loggerOptions } from './secrets/logger.options';

export interface AppModuleOptions {
  /** Where log lines go (tests capture them); stdout when omitted. */
  logDestination?: NodeJS.WritableStream;
  /** Extra modules (tests mount probe controllers this way). */
  imports?: NonNullable<DynamicModule['imports']>;
}

/** Wiring only. Each feature lives in its own module folder; see README's module map. */
@Module({})
export class AppModule {
  static forRoot(env: Env, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(env, CONFIG_SLICES),
        LoggerModule.forRoot(loggerOptions(env, options.logDestination)),
        DatabaseModule,
        RedisModule,
        RateLimitModule,
        HealthModule.forRoot({
          imports: [RateLimitModule, ResilienceModule],
          details: [RateLimitReadiness, ProviderBreakerDetail],
        }),
        AuthModule,
        AdminModule,
        PaymentsModule,
        ...(options.imports ?? []),
      ],
    };
  }
}

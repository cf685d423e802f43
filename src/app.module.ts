import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { CONFIG_SLICES } from './app.config';
import { AppConfigModule } from './platform/config/config.module';
import type { Env } from './platform/config/environment';
import { DatabaseModule } from './platform/database/database.module';
import { HealthModule } from './platform/health/health.module';
import { MetricsModule } from './platform/metrics/metrics.module';
import { RateLimitModule } from './platform/rate-limit/rate-limit.module';
import { RedisModule } from './platform/redis/redis.module';
import { createRootLogger, loggerOptions } from './platform/secrets/logger.options';
import type { Logger as PinoInstance } from 'pino';
import { AdminModule } from './features/admin';
import { AuthModule } from './features/auth';
import { PaymentsModule, ProviderBreakerDetail, ResilienceModule } from './features/payments';

export interface AppModuleOptions {
  /** Where log lines go (tests capture them); stdout when omitted. */
  logDestination?: NodeJS.WritableStream;
  /** Extra modules (tests mount probe controllers this way). */
  imports?: NonNullable<DynamicModule['imports']>;
}

/** The application's root pino logger (the access log writes to it; see src/platform/http/access-log.ts). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Wiring only. Each feature lives in its own module folder; see README's module map. */
@Module({})
export class AppModule {
  static forRoot(env: Env, options: AppModuleOptions = {}): DynamicModule {
    const root: PinoInstance = createRootLogger(env, options.logDestination);
    return {
      module: AppModule,
      providers: [{ provide: ROOT_LOGGER, useValue: root }],
      imports: [
        AppConfigModule.forRoot(env, CONFIG_SLICES),
        LoggerModule.forRoot(loggerOptions(root)),
        MetricsModule,
        DatabaseModule,
        RedisModule,
        // Before AuthModule: global guards run in the order modules register them (limit, then auth).
        RateLimitModule,
        HealthModule.forRoot({
          imports: [ResilienceModule],
          details: [ProviderBreakerDetail],
        }),
        AuthModule,
        AdminModule,
        PaymentsModule,
        ...(options.imports ?? []),
      ],
    };
  }
}

import { Global, Module } from '@nestjs/common';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { MetricsListener } from './metrics.listener';
import { MetricsService } from './metrics.service';

/**
 * One MetricsService (and its registry) per application, available everywhere without an import:
 * building blocks and features record through its typed methods. The listener serves it on
 * METRICS_HOST:METRICS_PORT when configured.
 */
@Global()
@Module({
  providers: [
    {
      provide: MetricsService,
      inject: [ENV],
      useFactory: (env: Env) => new MetricsService(env.METRICS_PORT !== undefined),
    },
    MetricsListener,
  ],
  exports: [MetricsService, MetricsListener],
})
export class MetricsModule {}

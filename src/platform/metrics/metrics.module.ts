import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { metricsConfig } from './metrics.config';
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
      inject: [metricsConfig.KEY],
      useFactory: (config: ConfigType<typeof metricsConfig>) => new MetricsService(config.port !== undefined),
    },
    MetricsListener,
  ],
  exports: [MetricsService, MetricsListener],
})
export class MetricsModule {}

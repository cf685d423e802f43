import { Module } from '@nestjs/common';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { MetricsService } from '../metrics/metrics.service';
import { PasswordHasher } from './password-hasher';

/**
 * Credentials shared by users (who store them) and auth (which checks them): the one
 * PasswordHasher of the process (its bulkhead must be shared by every caller, so it is provided
 * once here) and, as plain functions, email normalization and the EmailField DTO decorator.
 */
@Module({
  providers: [
    {
      provide: PasswordHasher,
      inject: [ENV, MetricsService],
      useFactory: (env: Env, metrics: MetricsService) => {
        const hasher = new PasswordHasher({
          concurrency: env.PASSWORD_HASH_CONCURRENCY,
          queue: env.PASSWORD_HASH_QUEUE,
        });
        metrics.watchPasswordHashQueue(() => hasher.queued);
        return hasher;
      },
    },
  ],
  exports: [PasswordHasher],
})
export class CredentialsModule {}

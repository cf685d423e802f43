import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { credentialsConfig } from './credentials.config';
import { MetricsService } from '../../../platform/metrics/metrics.service';
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
      inject: [credentialsConfig.KEY, MetricsService],
      useFactory: (config: ConfigType<typeof credentialsConfig>, metrics: MetricsService) => {
        const hasher = new PasswordHasher(config.passwordHash, () => metrics.passwordVerified());
        metrics.watchPasswordHashQueue(() => hasher.queued);
        return hasher;
      },
    },
  ],
  exports: [PasswordHasher],
})
export class CredentialsModule {}

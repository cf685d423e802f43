import { Module } from '@nestjs/common';
import { PasswordHasher } from '../auth/password-hasher';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { MetricsService } from '../metrics/metrics.service';
import { TokensModule } from '../tokens/tokens.module';
import { UsersService } from './users.service';

/**
 * Users and the one PasswordHasher of the process (its bulkhead must be shared by every caller,
 * so it is provided once here and exported).
 */
@Module({
  imports: [TokensModule],
  providers: [
    UsersService,
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
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}

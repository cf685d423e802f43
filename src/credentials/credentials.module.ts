import { Module } from '@nestjs/common';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
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
      inject: [ENV],
      useFactory: (env: Env) =>
        new PasswordHasher({ concurrency: env.PASSWORD_HASH_CONCURRENCY, queue: env.PASSWORD_HASH_QUEUE }),
    },
  ],
  exports: [PasswordHasher],
})
export class CredentialsModule {}

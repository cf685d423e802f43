import { Module } from '@nestjs/common';
import { PasswordHasher } from '../auth/password-hasher';
import { ENV } from '../config/config.constants';
import type { Env } from '../config/environment';
import { IdentityModule } from '../identity/identity.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersService } from './users.service';

/**
 * Users and the one PasswordHasher of the process (its bulkhead must be shared by every caller,
 * so it is provided once here and exported).
 */
@Module({
  imports: [TokensModule, IdentityModule],
  providers: [
    UsersService,
    {
      provide: PasswordHasher,
      inject: [ENV],
      useFactory: (env: Env) =>
        new PasswordHasher({ concurrency: env.PASSWORD_HASH_CONCURRENCY, queue: env.PASSWORD_HASH_QUEUE }),
    },
  ],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}

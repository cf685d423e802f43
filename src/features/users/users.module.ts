import { Module } from '@nestjs/common';
import { CredentialsModule } from '../auth/credentials/credentials.module';
import { IdentityModule } from '../auth/identity/identity.module';
import { TokensModule } from '../auth/tokens/tokens.module';
import { UsersService } from './users.service';

/** Users: lookup, creation (hashing through CredentialsModule), role and disable changes. */
@Module({
  imports: [CredentialsModule, TokensModule, IdentityModule],
  providers: [UsersService],
  // IdentityModule too: the auth guard, built in every module whose controllers use it, needs UserIdentities.
  exports: [UsersService, IdentityModule],
})
export class UsersModule {}

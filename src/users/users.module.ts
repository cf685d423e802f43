import { Module } from '@nestjs/common';
import { CredentialsModule } from '../credentials/credentials.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersService } from './users.service';

/** Users: lookup, creation (hashing through CredentialsModule), role and disable changes. */
@Module({
  imports: [CredentialsModule, TokensModule],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}

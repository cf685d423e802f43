import { Module } from '@nestjs/common';
import { CredentialsModule } from './credentials/credentials.module';
import { UsersService } from './users.service';

/** Users: lookup, creation (hashing through CredentialsModule), role and disable changes. */
@Module({
  imports: [CredentialsModule],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}

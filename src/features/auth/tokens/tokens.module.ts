import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { AccessTokenService } from './access-token.service';
import { RefreshTokenRepository } from './refresh-token.repository';
import { RefreshTokenService } from './refresh-token.service';

/** Access tokens (JWT, key ring) and refresh-token families (issue, rotate, revoke, cleanup). */
@Module({
  imports: [IdentityModule],
  providers: [AccessTokenService, RefreshTokenRepository, RefreshTokenService],
  exports: [AccessTokenService, RefreshTokenService],
})
export class TokensModule {}

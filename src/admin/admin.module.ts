import { Module } from '@nestjs/common';
import { LockoutModule } from '../lockout/lockout.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AdminUsersController } from './admin-users.controller';

/**
 * Admin user routes. UsersModule: UsersService (and JwtAuthGuard's user lookup); TokensModule:
 * RefreshTokenService (revoke-sessions) and AccessTokenService (JwtAuthGuard); LockoutModule:
 * unlock.
 */
@Module({
  imports: [UsersModule, TokensModule, LockoutModule],
  controllers: [AdminUsersController],
})
export class AdminModule {}

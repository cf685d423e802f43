import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { LockoutModule } from '../lockout/lockout.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

/**
 * Login, refresh, logout, me, and the guards. A feature module does `imports: [AuthModule]` and
 * `@UseGuards(JwtAuthGuard, RolesGuard)`: the guards' own dependencies (AccessTokenService,
 * UserIdentities) are re-exported so they resolve there.
 */
@Module({
  imports: [UsersModule, TokensModule, LockoutModule, IdentityModule],
  controllers: [AuthController],
  providers: [AuthService, JwtAuthGuard, RolesGuard],
  exports: [JwtAuthGuard, RolesGuard, UsersModule, TokensModule, IdentityModule],
})
export class AuthModule {}

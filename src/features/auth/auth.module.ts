import { Module } from '@nestjs/common';
import { CredentialsModule } from './credentials/credentials.module';
import { LockoutModule } from './lockout/lockout.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';

/**
 * Login, refresh, logout, me. The guards (JwtAuthGuard, RolesGuard) are classes, not exports:
 * Nest builds a guard in the module of the controller that uses it, so a module whose
 * controllers use `@UseGuards(JwtAuthGuard, RolesGuard)` imports the guard's dependencies itself:
 * TokensModule (AccessTokenService) and UsersModule (UserIdentities, re-exported from IdentityModule).
 */
@Module({
  imports: [UsersModule, TokensModule, LockoutModule, CredentialsModule],
  controllers: [AuthController],
  providers: [AuthService],
})
export class AuthModule {}

import { Module } from '@nestjs/common';
import { IdentityModule } from './identity/identity.module';
import { LockoutModule } from './lockout/lockout.module';
import { TokensModule } from './tokens/tokens.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AUTH_GUARDS } from './auth-guards';
import { CredentialsModule, UsersModule } from '../users';

/**
 * Login, refresh, logout, me, and the global guards that deny by default: JwtAuthGuard (a valid
 * access token on every route not marked `@Public()`) then RolesGuard (`@Roles()`). Nest runs
 * global guards in the order their modules register them: the root module imports RateLimitModule
 * before AuthModule, so the rate limit is spent before authentication.
 */
@Module({
  imports: [UsersModule, TokensModule, IdentityModule, LockoutModule, CredentialsModule],
  controllers: [AuthController],
  providers: [AuthService, ...AUTH_GUARDS],
})
export class AuthModule {}

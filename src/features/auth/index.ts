/**
 * The auth feature's only door: what other features, the root module and tools may use.
 * Login, tokens, lockout and identity stay inside; the global guards are registered by AuthModule.
 */
export { authErrorToProblem } from './auth-problems';
export { AuthModule } from './auth.module';
export { type AuthenticatedUser, CurrentUser } from './current-user.decorator';
export { identityConfig } from './identity/identity.config';
export { IdentityModule } from './identity/identity.module';
export { UserIdentities } from './identity/user-identities';
export { lockoutConfig } from './lockout/lockout.config';
export { LockoutModule } from './lockout/lockout.module';
export { LockoutService, LockoutUnavailableError } from './lockout/lockout.service';
export { type Role, Roles } from './roles.decorator';
export { RefreshTokenService } from './tokens/refresh-token.service';
export { tokensConfig } from './tokens/tokens.config';
export { TokensModule } from './tokens/tokens.module';

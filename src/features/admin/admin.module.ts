import { Module } from '@nestjs/common';
import { AdminAuditController } from './admin-audit.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AdminAuditRepository } from './audit/admin-audit.repository';
import { CredentialsModule, UsersModule } from '../users';
import { IdentityModule, LockoutModule, TokensModule } from '../auth';

/**
 * Admin user routes. UsersModule: UsersService; TokensModule: RefreshTokenService (revoke-sessions);
 * IdentityModule: UserIdentities (invalidations); LockoutModule: unlock; CredentialsModule:
 * PasswordHasher (create). The admin actions themselves (last-admin rule, audit trail) live in
 * AdminUsersService.
 */
@Module({
  imports: [UsersModule, TokensModule, IdentityModule, LockoutModule, CredentialsModule],
  controllers: [AdminUsersController, AdminAuditController],
  providers: [AdminUsersService, AdminAuditRepository],
})
export class AdminModule {}

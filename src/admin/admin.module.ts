import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LockoutModule } from '../lockout/lockout.module';
import { AdminAuditController } from './admin-audit.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AdminAuditRepository } from './audit/admin-audit.repository';

/** Admin routes; AuthModule brings the guards, UsersService and the token services. */
@Module({
  imports: [AuthModule, LockoutModule],
  controllers: [AdminUsersController, AdminAuditController],
  providers: [AdminUsersService, AdminAuditRepository],
})
export class AdminModule {}

import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LockoutModule } from '../lockout/lockout.module';
import { AdminUsersController } from './admin-users.controller';

/** Admin routes; AuthModule brings the guards, UsersService and the token services. */
@Module({
  imports: [AuthModule, LockoutModule],
  controllers: [AdminUsersController],
})
export class AdminModule {}

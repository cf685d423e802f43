import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '../auth/current-user.decorator';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import type { PublicUser } from '../users/user-records';
import { UsersService, UserPage } from '../users/users.service';
import { validationProblem } from '../problems';
import { AdminUsersService } from './admin-users.service';
import { auditContextOf } from './audit/audit-request';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserIdParams } from './dto/user-id.params';
import { UserPageResponse, UserResponse } from './dto/user.response';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/users')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('admin')
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly admin: AdminUsersService,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  create(
    @Body() body: CreateUserDto,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
  ): Promise<PublicUser> {
    return this.admin.create(body, auditContextOf(actor, request));
  }

  @Get()
  @ApiOkResponse({ type: UserPageResponse })
  list(@Query() query: ListUsersQuery): Promise<UserPage> {
    return this.users.list(query.page, query.pageSize);
  }

  /** 409 LAST_ADMIN for disabling or demoting one's own account or the last enabled admin. */
  @Patch(':id')
  @ApiOkResponse({ type: UserResponse })
  @ApiConflictResponse({ description: 'LAST_ADMIN' })
  update(
    @Param() params: UserIdParams,
    @Body() body: UpdateUserDto,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
  ): Promise<PublicUser> {
    if (body.role === undefined && body.disabled === undefined) {
      throw validationProblem([{ field: 'body', message: 'must contain role or disabled' }]);
    }
    return this.admin.update(params.id, { role: body.role, disabled: body.disabled }, auditContextOf(actor, request));
  }

  @Post(':id/unlock')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  unlock(
    @Param() params: UserIdParams,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    return this.admin.unlock(params.id, auditContextOf(actor, request));
  }

  @Post(':id/revoke-sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  revokeSessions(
    @Param() params: UserIdParams,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    return this.admin.revokeSessions(params.id, auditContextOf(actor, request));
  }
}

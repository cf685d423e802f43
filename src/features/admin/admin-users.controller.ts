import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '../../platform/openapi/decorators';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblems } from '../../platform/openapi/problem-responses';
import { ErrorCode } from '../../platform/problems/problem-catalog';

import { validationProblem } from '../../platform/problems';
import { adminProblem, userNotFound } from './admin-problems';
import { AdminUsersService } from './admin-users.service';
import { auditContextOf } from './audit/audit-request';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserIdParams } from './dto/user-id.params';
import { UserPageResponse, UserResponse } from './dto/user.response';
import { AuthenticatedUser, CurrentUser, Roles } from '../auth';
import { toPublicUser, type PublicUser, UsersService, UserPage } from '../users';

@ApiTags('admin')
@Controller('admin/users')
@Roles('admin')
@ApiProblems(ErrorCode.FORBIDDEN)
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly admin: AdminUsersService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a user',
    description: 'Creates a user with a password (12-128 characters) and a role; audited. 409 for an email in use.',
  })
  @ApiCreatedResponse({
    type: UserResponse,
    headers: {
      Location: {
        description: 'The new user: /v1/admin/users/{id}',
        schema: { type: 'string', maxLength: 64, pattern: '^/v1/[a-z/]+/[0-9a-f-]{36}$' },
      },
    },
  })
  @ApiProblems(ErrorCode.CONFLICT)
  async create(
    @Body() body: CreateUserDto,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PublicUser> {
    const outcome = await this.admin.create(body, auditContextOf(actor, request));
    if (outcome.kind !== 'created') throw adminProblem(outcome);
    void reply.header('location', `/v1/admin/users/${outcome.user.id}`);
    return outcome.user;
  }

  @Get()
  @ApiOperation({ summary: 'List users', description: 'Users by creation time, paged (`pageSize` at most 100).' })
  @ApiOkResponse({ type: UserPageResponse })
  list(@Query() query: ListUsersQuery): Promise<UserPage> {
    return this.users.list(query.page, query.pageSize);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a user', description: 'One user by id (the `Location` of a created user).' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(ErrorCode.NOT_FOUND)
  async findOne(@Param() params: UserIdParams): Promise<PublicUser> {
    const user = await this.users.findById(params.id);
    if (!user) throw userNotFound();
    return toPublicUser(user);
  }

  /** 409 LAST_ADMIN for disabling or demoting one's own account or the last enabled admin. */
  @Patch(':id')
  @ApiOperation({
    summary: 'Change a role or disable/enable a user',
    description:
      'Takes effect on every instance at the next request. Disabling ends every session. Refuses (409 LAST_ADMIN) to disable or demote your own account or the last enabled admin; audited.',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(ErrorCode.NOT_FOUND, ErrorCode.LAST_ADMIN)
  async update(
    @Param() params: UserIdParams,
    @Body() body: UpdateUserDto,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
  ): Promise<PublicUser> {
    if (body.role === undefined && body.disabled === undefined) {
      throw validationProblem([{ field: 'body', message: 'must contain role or disabled' }]);
    }
    const outcome = await this.admin.update(
      params.id,
      { role: body.role, disabled: body.disabled },
      auditContextOf(actor, request),
    );
    if (outcome.kind !== 'updated') throw adminProblem(outcome);
    return outcome.user;
  }

  @Post(':id/unlock')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Clear a login lockout', description: "Clears the account's failed-login lock; audited." })
  @ApiNoContentResponse()
  @ApiProblems(ErrorCode.NOT_FOUND)
  async unlock(
    @Param() params: UserIdParams,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const outcome = await this.admin.unlock(params.id, auditContextOf(actor, request));
    if (outcome.kind !== 'done') throw adminProblem(outcome);
  }

  @Post(':id/revoke-sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'End every session of a user',
    description: 'Revokes every refresh token and every access token issued so far, on every instance; audited.',
  })
  @ApiNoContentResponse()
  @ApiProblems(ErrorCode.NOT_FOUND)
  async revokeSessions(
    @Param() params: UserIdParams,
    @CurrentUser() actor: AuthenticatedUser,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    const outcome = await this.admin.revokeSessions(params.id, auditContextOf(actor, request));
    if (outcome.kind !== 'done') throw adminProblem(outcome);
  }
}

import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { LockoutService } from '../lockout/lockout.service';
import { RefreshTokenService } from '../tokens/refresh-token.service';
import type { PublicUser } from '../users/user-records';
import { UsersService, UserPage } from '../users/users.service';
import { ErrorCode, problem, validationProblem } from '../problems';
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
    private readonly lockout: LockoutService,
    private readonly refreshTokens: RefreshTokenService,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: UserResponse })
  create(@Body() body: CreateUserDto): Promise<PublicUser> {
    return this.users.create(body);
  }

  @Get()
  @ApiOkResponse({ type: UserPageResponse })
  list(@Query() query: ListUsersQuery): Promise<UserPage> {
    return this.users.list(query.page, query.pageSize);
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserResponse })
  update(@Param() params: UserIdParams, @Body() body: UpdateUserDto): Promise<PublicUser> {
    if (body.role === undefined && body.disabled === undefined) {
      throw validationProblem([{ field: 'body', message: 'must contain role or disabled' }]);
    }
    return this.users.update(params.id, { role: body.role, disabled: body.disabled });
  }

  @Post(':id/unlock')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async unlock(@Param() params: UserIdParams): Promise<void> {
    const user = await this.users.findById(params.id);
    if (!user) throw problem(ErrorCode.NOT_FOUND, 'No user with this id.');
    await this.lockout.clear(user.email);
  }

  @Post(':id/revoke-sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async revokeSessions(@Param() params: UserIdParams): Promise<void> {
    const user = await this.users.findById(params.id);
    if (!user) throw problem(ErrorCode.NOT_FOUND, 'No user with this id.');
    await this.refreshTokens.revokeAllForUser(user.id, 'sessions_revoked');
  }
}

import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../../platform/openapi/problem-responses';
import { ErrorCode } from '../../platform/problems/problem-catalog';
import { AuthRateLimit } from '../../platform/rate-limit/auth-rate-limit.decorator';
import { loginProblem, refreshProblem } from './auth-problems';
import { AuthService } from './auth.service';
import { AuthenticatedUser, CurrentUser } from './current-user.decorator';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { MeDto, TokenPairDto } from './dto/token-pair.dto';
import { JwtAuthGuard } from './jwt-auth.guard';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @ApiOperation({
    summary: 'Log in',
    description:
      'Exchanges email and password for an access token and a refresh token. Failed attempts count towards a lockout (423 with Retry-After), the same for unknown emails.',
  })
  @AuthRateLimit()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(ErrorCode.INVALID_CREDENTIALS, ErrorCode.ACCOUNT_LOCKED)
  async login(@Body() body: LoginDto): Promise<TokenPairDto> {
    const result = await this.auth.login(body.email, body.password);
    if (result.kind !== 'ok') throw loginProblem(result);
    return result.tokens;
  }

  @Post('refresh')
  @ApiOperation({
    summary: 'Rotate a refresh token',
    description:
      'Returns a new token pair and retires the presented refresh token. Presenting a retired token again is reuse: 401 TOKEN_REUSED and the whole family is revoked.',
  })
  @AuthRateLimit()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_REUSED)
  async refresh(@Body() body: RefreshTokenDto, @Req() request: FastifyRequest): Promise<TokenPairDto> {
    const result = await this.auth.refresh(body.refreshToken, { clientIp: request.ip });
    if (result.kind !== 'ok') throw refreshProblem(result);
    return result.tokens;
  }

  /** 204 for any well-formed token, known or not: idempotent, and it tells a guesser nothing. */
  @Post('logout')
  @ApiOperation({
    summary: 'Log out',
    description: "Revokes the refresh token's whole family; 204 for any well-formed token (idempotent).",
  })
  @AuthRateLimit()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.auth.logout(body.refreshToken);
  }

  @Get('me')
  @ApiOperation({ summary: 'Current identity', description: 'The authenticated user: id, email and current role.' })
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(ErrorCode.UNAUTHORIZED, ErrorCode.TOKEN_INVALID)
  me(@CurrentUser() user: AuthenticatedUser): MeDto {
    return { id: user.id, email: user.email, role: user.role };
  }
}

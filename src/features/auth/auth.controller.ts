import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '../../platform/openapi/decorators';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../../platform/openapi/problem-responses';
import { ErrorCode } from '../../platform/problems/problem-catalog';
import { AuthRateLimit } from '../../platform/rate-limit/auth-rate-limit.decorator';
import { clientAddress } from '../../platform/rate-limit/client-identity';
import { ReadWithRateLimit } from '../../platform/rate-limit/read-with-rate-limit';
import { Public } from '../../platform/http/public.decorator';
import { clientThrottledProblem, loginProblem, refreshProblem } from './auth-problems';
import { AuthService } from './auth.service';
import { clientFailuresKey } from './lockout/lockout-keys';
import { AuthenticatedUser, CurrentUser } from './current-user.decorator';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { MeDto, TokenPairDto } from './dto/token-pair.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @ApiOperation({
    summary: 'Log in',
    description:
      'Exchanges email and password for an access token and a refresh token. Failed attempts count, the same for unknown emails, per account and client (423 ACCOUNT_LOCKED for that client), per account (423 for clients that never logged into it) and per client across accounts (429 RATE_LIMITED on every credential route), each with Retry-After.',
  })
  @AuthRateLimit()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(ErrorCode.INVALID_CREDENTIALS, ErrorCode.ACCOUNT_LOCKED)
  async login(@Body() body: LoginDto, @Req() request: FastifyRequest): Promise<TokenPairDto> {
    const result = await this.auth.login(body.email, body.password, clientAddress(request));
    if (result.kind !== 'signed-in') throw loginProblem(result);
    return result.tokens;
  }

  @Post('refresh')
  @Public()
  @ApiOperation({
    summary: 'Rotate a refresh token',
    description:
      'Returns a new token pair and retires the presented refresh token. Presenting a retired token again is reuse: 401 TOKEN_REUSED and the whole family is revoked.',
  })
  @AuthRateLimit()
  @ReadWithRateLimit(clientFailuresKey)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_REUSED)
  async refresh(@Body() body: RefreshTokenDto, @Req() request: FastifyRequest): Promise<TokenPairDto> {
    await this.assertClientAllowed(request);
    const result = await this.auth.refresh(body.refreshToken, { clientIp: request.ip });
    if (result.kind !== 'ok') throw refreshProblem(result);
    return result.tokens;
  }

  /** 204 for any well-formed token, known or not: idempotent, and it tells a guesser nothing. */
  @Post('logout')
  @Public()
  @ApiOperation({
    summary: 'Log out',
    description: "Revokes the refresh token's whole family; 204 for any well-formed token (idempotent).",
  })
  @AuthRateLimit()
  @ReadWithRateLimit(clientFailuresKey)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async logout(@Body() body: RefreshTokenDto, @Req() request: FastifyRequest): Promise<void> {
    await this.assertClientAllowed(request);
    await this.auth.logout(body.refreshToken);
  }

  @Get('me')
  @ApiOperation({ summary: 'Current identity', description: 'The authenticated user: id, email and current role.' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems(ErrorCode.UNAUTHORIZED, ErrorCode.TOKEN_INVALID)
  me(@CurrentUser() user: AuthenticatedUser): MeDto {
    return { id: user.id, email: user.email, role: user.role };
  }

  /**
   * Refresh and logout answer 429 RATE_LIMITED to a client over its login failure limit (the
   * counter read by the rate-limit check's own Redis call: @ReadWithRateLimit).
   */
  private async assertClientAllowed(request: FastifyRequest): Promise<void> {
    const standing = await this.auth.clientStanding(clientAddress(request), request);
    if (standing.kind === 'client-throttled') throw clientThrottledProblem(standing.retryAfterSeconds);
  }
}

import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AccessTokenRejected, AccessTokenService } from '../tokens/access-token.service';
import { UsersService } from '../users/users.service';
import { ErrorCode, problem, type ProblemException } from '../problems';
import type { AuthenticatedRequest } from './current-user.decorator';

/** The scheme is case-insensitive (RFC 9110); the token must look like a compact JWS. */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i;

export function tokenInvalid(): ProblemException {
  return problem(ErrorCode.TOKEN_INVALID, 'The access token is invalid or expired.', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}

/**
 * Bearer access tokens: 401 UNAUTHORIZED without one, 401 TOKEN_INVALID for a forged, expired or
 * malformed one. Every request also reads the user row (a primary-key lookup), so a disabled
 * user is locked out on the next request and a role change applies at once: the role on the
 * request is the database's, not the token's.
 *
 * Nest builds a guard in the module of the controller that uses it: that module imports
 * TokensModule and UsersModule (this guard's dependencies).
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw problem(ErrorCode.UNAUTHORIZED);
    const match = BEARER.exec(header);
    if (!match) throw tokenInvalid();
    let subject: string;
    try {
      subject = (await this.accessTokens.verify(match[1])).sub;
    } catch (error) {
      if (error instanceof AccessTokenRejected) throw tokenInvalid();
      throw error;
    }
    const user = await this.users.findById(subject);
    if (!user || user.disabled) throw tokenInvalid();
    request.user = { id: user.id, email: user.email, role: user.role };
    return true;
  }
}

import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessTokenRejected, AccessTokenService } from './tokens/access-token.service';
import { UserIdentities } from './identity/user-identities';
import type { Identity } from './identity/identity-cache';
import { ErrorCode, problem, type ProblemException } from '../../platform/problems';
import { isPublicRoute } from '../../platform/http/public.decorator';
import { PerRoute } from '../../platform/http/route-metadata';
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
 * malformed one, for a disabled user, and for a token issued before the user's sessions were
 * revoked (its `sv` claim is below the user's session version). The role on the request is the
 * user's current one, not the token's. Identities come from UserIdentities: a per-instance cache
 * that every change through the API invalidates on every instance, re-read from PostgreSQL at
 * least every IDENTITY_CACHE_TTL_MS.
 *
 * A global guard (AuthModule registers it after the rate-limit guard): every route requires a
 * token unless it or its controller is `@Public()`.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly publicRoute: PerRoute<boolean>;

  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly identities: UserIdentities,
    reflector: Reflector,
  ) {
    this.publicRoute = new PerRoute((handler, controller) => isPublicRoute(reflector, handler, controller));
  }

  /**
   * Synchronous while the identity is in the cache (the steady state): no promise, and so none of
   * the per-promise work of the request's async context, unless the database must be asked.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.publicRoute.of(context)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const claims = this.claims(request);
    const cached = this.identities.cached(claims.sub);
    // A token newer than the cached version means the entry predates a revocation: re-read it.
    if (cached === undefined || claims.sv > cached.sessionVersion) return this.authenticate(request, claims, cached);
    return this.admit(request, claims, cached);
  }

  /** The token's claims: 401 UNAUTHORIZED without a bearer token, TOKEN_INVALID for a bad one. */
  private claims(request: AuthenticatedRequest): { sub: string; sv: number } {
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw problem(ErrorCode.UNAUTHORIZED);
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw tokenInvalid();
    try {
      return this.accessTokens.verifyNow(token);
    } catch (error) {
      if (error instanceof AccessTokenRejected) throw tokenInvalid();
      throw error;
    }
  }

  /** The identity is not cached, or predates a revocation: read from the database. */
  private async authenticate(
    request: AuthenticatedRequest,
    claims: { sub: string; sv: number },
    cached: Identity | undefined,
  ): Promise<boolean> {
    let user = cached === undefined ? await this.identities.get(claims.sub) : cached;
    if (user && claims.sv > user.sessionVersion) user = await this.identities.get(claims.sub, { fresh: true });
    return this.admit(request, claims, user);
  }

  private admit(request: AuthenticatedRequest, claims: { sv: number }, user: Identity | null): true {
    if (!user || user.disabled || claims.sv < user.sessionVersion) throw tokenInvalid();
    request.user = { id: user.id, email: user.email, role: user.role };
    return true;
  }
}

import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PerRoute } from '../../platform/http/route-metadata';
import { ErrorCode, problem } from '../../platform/problems';
import type { AuthenticatedRequest } from './current-user.decorator';
import { ROLES_KEY, type Role } from './roles.decorator';

/**
 * 403 FORBIDDEN unless the caller has one of the @Roles() of the handler or its controller (the
 * handler's own list wins). A global guard that runs after JwtAuthGuard; routes without @Roles()
 * need only a valid token.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly allowed: PerRoute<readonly Role[] | undefined>;

  constructor(reflector: Reflector) {
    this.allowed = new PerRoute((handler, controller) => {
      const roles = reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [handler, controller]);
      return roles && roles.length > 0 ? [...roles] : undefined;
    });
  }

  canActivate(context: ExecutionContext): boolean {
    const roles = this.allowed.of(context);
    if (roles === undefined) return true;
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (!user) throw problem(ErrorCode.UNAUTHORIZED);
    if (!roles.includes(user.role)) throw problem(ErrorCode.FORBIDDEN);
    return true;
  }
}

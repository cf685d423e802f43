import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, problem } from '../../platform/problems';

/** The caller as JwtAuthGuard established it (role and disabled state read from the database). */
export interface AuthenticatedUser {
  id: string;
  email: string;
  role: 'user' | 'admin';
}

export type AuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };

/** The authenticated caller; valid on every route that is not `@Public()` (the global JwtAuthGuard set it). */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedUser => {
  const user = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw problem(ErrorCode.UNAUTHORIZED);
  return user;
});

import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'auth:roles';

export type Role = 'user' | 'admin';

/**
 * Narrows a protected route (or every route of a controller) to these roles; RolesGuard enforces
 * it after JwtAuthGuard. Without it any authenticated caller may use the route.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

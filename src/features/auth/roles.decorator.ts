import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'auth:roles';

/** Roles allowed on a handler or controller; enforced by RolesGuard (after JwtAuthGuard). */
export const Roles = (...roles: ('user' | 'admin')[]) => SetMetadata(ROLES_KEY, roles);

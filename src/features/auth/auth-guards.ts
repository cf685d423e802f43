import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

/**
 * Deny by default: JwtAuthGuard (a valid access token on every route not marked `@Public()`), then
 * RolesGuard (`@Roles()`), as global guards. AuthModule registers them; the middle test tier
 * (test/helpers/controller-app.ts) installs the same list.
 */
export const AUTH_GUARDS: Provider[] = [
  { provide: APP_GUARD, useClass: JwtAuthGuard },
  { provide: APP_GUARD, useClass: RolesGuard },
];

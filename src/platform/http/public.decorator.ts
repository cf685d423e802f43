import { SetMetadata, type Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { RouteHandler } from './route-metadata';

export const IS_PUBLIC_KEY = 'http:public';

/**
 * Opens a route (or every route of a controller) to callers without an access token. Every other
 * route is denied by default: the auth feature's global guards require a valid access token, and
 * the OpenAPI document marks exactly the routes without `@Public()` with bearer security. It lives
 * in platform so that platform controllers (health) can use it without importing a feature.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** Whether `@Public()` is on the handler or on its controller. */
export function isPublicRoute(reflector: Reflector, handler: RouteHandler, controller: Type): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [handler, controller]) === true;
}

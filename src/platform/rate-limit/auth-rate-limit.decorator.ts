import { SetMetadata } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';

export const AUTH_RATE_LIMIT = 'gateway:auth-rate-limit';

/** What a route under the `auth` limit says in its Fastify route config (`request.routeOptions.config`). */
export interface AuthRateLimitRouteConfig {
  authRateLimit?: true;
}

/**
 * Adds `authRateLimit: true` to the route's Fastify route config, merged with any config the
 * route already has (`@RouteConfig()` replaces the whole config, so it must come below this
 * decorator, i.e. run first). Fastify's own hooks read it where the guards never run (a body
 * refused before the handler).
 */
function markRouteConfig(): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const existing = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined) ?? {};
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...existing, authRateLimit: true }, handler);
    return descriptor;
  };
}

/**
 * Puts a route under the stricter `auth` limit (on top of `global`): the routes that take a
 * credential (login, refresh, logout). Marked on the handler, so no URL trick (query strings,
 * encodings, extra slashes) can move a request out of it. Each use must be listed in the README's
 * rate-limit table.
 */
export const AuthRateLimit = (): MethodDecorator => {
  const marks = [SetMetadata(AUTH_RATE_LIMIT, true), markRouteConfig()];
  return (target, key, descriptor) => {
    for (const mark of marks) mark(target, key, descriptor);
    return descriptor;
  };
};

import { SetMetadata } from '@nestjs/common';

export const AUTH_RATE_LIMIT = 'gateway:auth-rate-limit';

/**
 * Puts a route under the stricter `auth` limit (on top of `global`): the routes that take a
 * credential (login, refresh, logout). Marked on the handler, so no URL trick (query strings,
 * encodings, extra slashes) can move a request out of it. Each use must be listed in the README's
 * rate-limit table.
 */
export const AuthRateLimit = (): MethodDecorator => SetMetadata(AUTH_RATE_LIMIT, true);

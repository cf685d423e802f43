import { ExecutionContext } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * The client a budget belongs to: Fastify's `request.ip`, which is the socket peer unless
 * TRUST_PROXY names the proxies whose `X-Forwarded-For` is believed (Fastify walks the header from
 * the right and stops at the first untrusted hop, so entries a client adds to the left never count).
 * IPv6 addresses are grouped by /64, the block one subscriber usually holds.
 */
export function clientAddress(request: FastifyRequest): string {
  return normalizeIp(request.ip || request.socket?.remoteAddress || 'unknown');
}

/**
 * The storage key of one client's budget: `rl:` plus a SHA-256 digest of the address, so Redis
 * holds no address in clear (a pseudonym, not anonymity: IPv4 is small enough to enumerate).
 * The Redis storage wraps it as `<REDIS_KEY_PREFIX>{rl:<digest>:<limit name>}:hits|blocked`; the
 * braces are a Redis Cluster hash tag that keeps a budget's two keys in one slot.
 */
export function budgetKey(address: string): string {
  return `rl:${createHash('sha256').update(address).digest('hex').slice(0, 32)}`;
}

/**
 * Routes the stricter `auth` limit applies to: the ones that take a credential (a password or a
 * refresh token). `GET /v1/auth/me` is an ordinary authenticated read under the global limit only,
 * so a client polling it cannot lock itself out of login.
 */
export const AUTH_LIMITED_ROUTES: ReadonlySet<string> = new Set([
  '/v1/auth/login',
  '/v1/auth/refresh',
  '/v1/auth/logout',
]);

/**
 * True for the credential routes. Uses the matched route pattern (what Fastify routed on), not the
 * raw URL, so query strings, encodings or extra slashes cannot move a request out of the auth limit.
 */
export function isAuthRoute(context: ExecutionContext): boolean {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const path = request.routeOptions?.url ?? request.url.split('?')[0];
  return AUTH_LIMITED_ROUTES.has(path);
}

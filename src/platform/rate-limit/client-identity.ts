import { ExecutionContext } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { setBounded } from '../runtime/bounded-map';
import { AUTH_RATE_LIMIT } from './auth-rate-limit.decorator';

/**
 * The client a budget belongs to: Fastify's `request.ip`, which is the socket peer unless
 * TRUST_PROXY names the proxies whose `X-Forwarded-For` is believed (Fastify walks the header from
 * the right and stops at the first untrusted hop, so entries a client adds to the left never count).
 * IPv6 addresses are grouped by /64, the block one subscriber usually holds.
 */
export function clientAddress(request: FastifyRequest): string {
  return normalizeIp(request.ip || request.socket?.remoteAddress || 'unknown');
}

/** How many clients' budget keys are kept computed (a few hundred KiB at most). */
export const BUDGET_KEYS_CACHED = 4096;

const budgetKeys = new Map<string, string>();

/**
 * The storage key of one client's budget: `rl:` plus a SHA-256 digest of the address, so Redis
 * holds no address in clear (a pseudonym, not anonymity: IPv4 is small enough to enumerate).
 * The Redis storage wraps it as `<REDIS_KEY_PREFIX>{rl:<digest>:<limit name>}:hits|blocked`; the
 * braces are a Redis Cluster hash tag that keeps a budget's two keys in one slot.
 *
 * A client sends request after request from one address, so the keys of the last
 * BUDGET_KEYS_CACHED addresses are kept rather than digested on every request; storing one more
 * evicts the oldest, so a spread of addresses only costs the digest it always did.
 */
export function budgetKey(address: string): string {
  let key = budgetKeys.get(address);
  if (key === undefined) {
    key = `rl:${createHash('sha256').update(address).digest('hex').slice(0, 32)}`;
    setBounded(budgetKeys, address, key, BUDGET_KEYS_CACHED);
  }
  return key;
}

/** True for routes marked @AuthRateLimit() (the credential routes: login, refresh, logout). */
export function isAuthRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(AUTH_RATE_LIMIT, context.getHandler()) === true;
}

import { existsSync } from 'node:fs';
import { randomToken } from '../../tools/harness';
import type { GatewayEnv, RunGatewayEnv } from './context';
import { BASE_REDIS_URL } from './servers';

/** jemalloc's settings in the image (Dockerfile): freed pages go back within about a second. */
export const JEMALLOC_CONF = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,narenas:2';

/** Where the image links Debian's library (Dockerfile), whatever the architecture. */
export const IMAGE_JEMALLOC_LINK = '/usr/local/lib/libjemalloc.so.2';

const DEBIAN_ARCH: Partial<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };

/** Where Debian's libjemalloc2 puts the library on this machine, then the image's own link. */
export function jemallocCandidates(arch: string = process.arch): string[] {
  const multiarch = DEBIAN_ARCH[arch];
  return [...(multiarch ? [`/usr/lib/${multiarch}-linux-gnu/libjemalloc.so.2`] : []), IMAGE_JEMALLOC_LINK];
}

/**
 * The jemalloc library to preload, as the image does. Missing, the bench refuses to run rather
 * than measure another allocator than production's without saying so.
 */
export function jemallocPreload(
  candidates = jemallocCandidates(),
  exists: (path: string) => boolean = existsSync,
): string {
  const found = candidates.find((path) => exists(path));
  if (found) return found;
  throw new Error(
    `libjemalloc.so.2 not found (${candidates.join(', ')}): the image runs the gateway on jemalloc; ` +
      `install it (apt-get install libjemalloc2), or pass --gateway-env '{"LD_PRELOAD":"","MALLOC_CONF":""}' ` +
      `to measure glibc's malloc`,
  );
}

/**
 * The gateway's variables for a bench run: its own database and Redis key prefix, random secrets,
 * the stand-in provider, and limits raised so that they never trip (the limiter still counts every
 * request in Redis), the allocator (jemalloc, preloaded) and glibc's malloc settings as the image
 * sets them. `extra` (--gateway-env) wins, for ablations; an empty value there unsets the variable
 * (e.g. `{"LD_PRELOAD":"","MALLOC_CONF":""}` runs the gateway on glibc's malloc).
 */
export function benchGatewayEnv({
  databaseUrl,
  prefix,
  providerUrl,
  logLevel,
  extra = {},
}: {
  databaseUrl: string;
  prefix: string;
  providerUrl: string;
  logLevel: string;
  extra?: GatewayEnv;
}): RunGatewayEnv {
  const env: RunGatewayEnv = {
    NODE_ENV: 'development',
    LOG_LEVEL: logLevel,
    DOCS_ENABLED: 'false',
    DATABASE_URL: databaseUrl,
    REDIS_URL: BASE_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    JWT_ACCESS_SECRET: randomToken(),
    JWT_ISSUER: 'hardened-gateway',
    JWT_AUDIENCE: 'hardened-gateway-api',
    REFRESH_TOKEN_PEPPER: randomToken(),
    PAYMENT_PROVIDER_URL: providerUrl,
    PAYMENT_PROVIDER_API_KEY: randomToken(24),
    PAYMENT_PROVIDER_TIMEOUT_MS: '2000',
    PAYMENT_PROVIDER_RETRIES: '2',
    CIRCUIT_FAILURE_THRESHOLD: '5',
    // The outage scenario measures the open breaker; no half-open probe may land inside it.
    CIRCUIT_HALF_OPEN_AFTER_MS: '600000',
    // Budgets high enough never to trip: the limiter still counts every request in Redis.
    RATE_LIMIT_GLOBAL_LIMIT: '1000000000',
    RATE_LIMIT_GLOBAL_TTL_SECONDS: '60',
    RATE_LIMIT_AUTH_LIMIT: '1000000000',
    RATE_LIMIT_AUTH_TTL_SECONDS: '60',
    LOCKOUT_THRESHOLD: '1000',
    // The flood sends every failed login from one address; the attack scenario runs its own gateway.
    LOGIN_CLIENT_FAILURE_LIMIT: '100000',
    DB_POOL_MAX: '10',
    // The allocator as the image runs it (Dockerfile): jemalloc, and glibc's settings for a run
    // without it (bounded arenas, large blocks returned when freed).
    ...(extra.LD_PRELOAD === undefined ? { LD_PRELOAD: jemallocPreload(), MALLOC_CONF: JEMALLOC_CONF } : {}),
    MALLOC_ARENA_MAX: '2',
    MALLOC_MMAP_THRESHOLD_: '1048576',
    ...extra,
  };
  for (const [name, value] of Object.entries(extra)) if (value === '') delete env[name];
  return env;
}

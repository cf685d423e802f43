import { randomToken } from '../../tools/harness';
import type { GatewayEnv, RunGatewayEnv } from './context';
import { BASE_REDIS_URL } from './servers';

/**
 * The gateway's variables for a bench run: its own database and Redis key prefix, random secrets,
 * the stand-in provider, and limits raised so that they never trip (the limiter still counts every
 * request in Redis), glibc's malloc and V8's old-generation cap set as the image sets them. `extra` (--gateway-env) wins, for
 * ablations; an empty value there unsets the variable (e.g. `{"MALLOC_MMAP_THRESHOLD_":""}`).
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
    // glibc as the image runs it (Dockerfile): bounded arenas, large blocks returned when freed.
    MALLOC_ARENA_MAX: '2',
    MALLOC_MMAP_THRESHOLD_: '1048576',
    ...extra,
  };
  for (const [name, value] of Object.entries(extra)) if (value === '') delete env[name];
  return env;
}

import { DEFAULT_ADMIN_DATABASE_URL, DEFAULT_REDIS_URL } from '../harness';

/** Where scan tools create their throwaway databases: SCAN_ADMIN_DATABASE_URL, else DATABASE_URL, else the local default. */
export function adminDatabaseUrlFrom(env: NodeJS.ProcessEnv): string {
  return env.SCAN_ADMIN_DATABASE_URL || env.DATABASE_URL || DEFAULT_ADMIN_DATABASE_URL;
}

export interface InstanceOptions {
  /** A server whose login may CREATE DATABASE (the instance's database is made there and dropped at stop). */
  adminDatabaseUrl: string;
  /** Used only when redis-server is not on PATH. */
  fallbackRedisUrl: string;
  /** Keep the default rate limits and lockout threshold (SCAN_PRODUCTION_LIMITS=1). */
  productionLimits: boolean;
  /**
   * Leave the instance's processes running when this process exits (the `start` command; `stop`
   * ends them by pid). In-process callers (the gate) leave it false: nothing outlives them.
   */
  outliveParent: boolean;
}

export function instanceOptionsFrom(
  env: NodeJS.ProcessEnv,
  { outliveParent }: { outliveParent: boolean },
): InstanceOptions {
  return {
    adminDatabaseUrl: adminDatabaseUrlFrom(env),
    fallbackRedisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
    productionLimits: env.SCAN_PRODUCTION_LIMITS === '1',
    outliveParent,
  };
}

/**
 * The gateway's whole environment (nothing else of the caller's is passed but PATH). Rate limits
 * and the lockout threshold are raised unless `productionLimits`, so scanners reach the code
 * instead of a wall of 429/423 answers; the limits themselves are proven by their own suites.
 */
export function gatewayEnvironment(parts: {
  path: string | undefined;
  nodeEnv: 'production' | 'development';
  port: number;
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  providerUrl: string;
  providerKey: string;
  jwtSecret: string;
  pepper: string;
  productionLimits: boolean;
}): NodeJS.ProcessEnv {
  return {
    PATH: parts.path,
    NODE_ENV: parts.nodeEnv,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(parts.port),
    DOCS_ENABLED: 'true',
    DATABASE_URL: parts.databaseUrl,
    REDIS_URL: parts.redisUrl,
    REDIS_KEY_PREFIX: parts.keyPrefix,
    JWT_ACCESS_SECRET: parts.jwtSecret,
    REFRESH_TOKEN_PEPPER: parts.pepper,
    PAYMENT_PROVIDER_URL: parts.providerUrl,
    PAYMENT_PROVIDER_API_KEY: parts.providerKey,
    ...(parts.productionLimits
      ? {}
      : {
          RATE_LIMIT_GLOBAL_LIMIT: '1000000',
          RATE_LIMIT_AUTH_LIMIT: '1000000',
          LOCKOUT_THRESHOLD: '1000',
          // A scanner sends every failed login from one address.
          LOGIN_CLIENT_FAILURE_LIMIT: '100000',
        }),
  };
}

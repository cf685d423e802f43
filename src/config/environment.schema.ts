import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { IntRange, toList } from './env-decorators';

/*
 * Adding a variable (the other half is the module's slice, see config-slices.ts):
 * 1. declare it here with its validators and default (`@IntRange(min, max)` for integers; a secret
 *    has no default and is listed in src/secrets/secret-inventory.ts);
 * 2. expose it in the owning module's slice (`src/<module>/<module>.config.ts`);
 * 3. document it in README's configuration table, .env.example and, if it is contract, docs/contract.md.
 */

/**
 * Every variable of docs/contract.md, validated once at boot by `loadEnvironment` (environment.ts). Secrets have no default anywhere:
 * an absent secret is an error, never a fallback.
 */
export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IntRange(0, 65535)
  PORT = 3000;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** Unset: trust no proxy. A hop count ("1") or a comma-separated list of IPs/CIDRs. */
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  /** Comma-separated CORS allow-list; unset means CORS stays closed. */
  @IsOptional()
  @IsString({ each: true })
  @Transform(toList)
  CORS_ORIGINS: string[] = [];

  /** Serve the OpenAPI document at /docs and /docs-json. Default: on outside production. */
  @IsOptional()
  @IsIn(['true', 'false'])
  DOCS_ENABLED?: 'true' | 'false';

  @IntRange(1024, 10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 16 * 1024;

  /** Longest time to receive a whole request (headers and body); slower clients get 408. */
  @IntRange(1000, 600000)
  REQUEST_TIMEOUT_MS = 30000;

  /** How long a /health/ready result is reused; concurrent probes share one check. 0 disables. */
  @IntRange(0, 10000)
  HEALTH_READY_CACHE_MS = 1000;

  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL!: string;

  @IsString()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL!: string;

  /** Namespace for every Redis key this instance writes (tests give each run its own). */
  @IsString()
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/, { message: 'must be 1-64 characters of [A-Za-z0-9:_-]' })
  REDIS_KEY_PREFIX = 'gw:';

  @IsString()
  @MinLength(32)
  JWT_ACCESS_SECRET!: string;

  @IsOptional()
  @IsString({ each: true })
  @MinLength(32, { each: true })
  @Transform(toList)
  JWT_ACCESS_PREVIOUS_SECRETS: string[] = [];

  @IntRange(30, 86400)
  JWT_ACCESS_TTL_SECONDS = 900;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'hardened-gateway';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'hardened-gateway-api';

  @IsString()
  @MinLength(32)
  REFRESH_TOKEN_PEPPER!: string;

  @IsOptional()
  @IsString({ each: true })
  @MinLength(32, { each: true })
  @Transform(toList)
  REFRESH_TOKEN_PEPPER_PREVIOUS: string[] = [];

  @IntRange(60, 365 * 86400)
  REFRESH_TOKEN_TTL_SECONDS = 1209600;

  @IntRange(0, 300)
  REFRESH_REUSE_GRACE_SECONDS = 0;

  @IntRange(1)
  RATE_LIMIT_GLOBAL_LIMIT = 100;

  @IntRange(1)
  RATE_LIMIT_GLOBAL_TTL_SECONDS = 60;

  @IntRange(1)
  RATE_LIMIT_AUTH_LIMIT = 10;

  @IntRange(1)
  RATE_LIMIT_AUTH_TTL_SECONDS = 60;

  @IntRange(1, 1000)
  LOCKOUT_THRESHOLD = 5;

  @IntRange(1)
  LOCKOUT_DURATION_SECONDS = 900;

  @IntRange(1, 1000)
  DB_POOL_MAX = 10;

  @IntRange(100)
  DB_POOL_TIMEOUT_MS = 2000;

  @IntRange(100)
  DB_STATEMENT_TIMEOUT_MS = 5000;

  @IsString()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  PAYMENT_PROVIDER_URL!: string;

  @IsString()
  @MinLength(16)
  PAYMENT_PROVIDER_API_KEY!: string;

  @IntRange(50)
  PAYMENT_PROVIDER_TIMEOUT_MS = 2000;

  @IntRange(0, 10)
  PAYMENT_PROVIDER_RETRIES = 2;

  @IntRange(1)
  CIRCUIT_FAILURE_THRESHOLD = 5;

  @IntRange(100)
  CIRCUIT_HALF_OPEN_AFTER_MS = 10000;

  /** Most provider calls in flight at once per instance (bulkhead); the excess waits in a queue. */
  @IntRange(1, 1000)
  PAYMENT_PROVIDER_MAX_CONCURRENCY = 20;

  /** Most provider calls waiting for a bulkhead slot; beyond that a payment answers 503 at once. */
  @IntRange(0, 10000)
  PAYMENT_PROVIDER_MAX_QUEUE = 50;

  /** Uppercase ISO 4217 codes accepted for payments. */
  @IsString({ each: true })
  @Matches(/^[A-Z]{3}$/, { each: true })
  @Transform(toList)
  PAYMENT_CURRENCIES: string[] = ['EUR', 'USD', 'GBP'];

  /** Most password hashes computed at once per instance; excess logins answer 503. */
  @IntRange(1, 256)
  PASSWORD_HASH_CONCURRENCY = 4;

  /** Most logins waiting for a hashing slot before the excess is refused. */
  @IntRange(0, 10000)
  PASSWORD_HASH_QUEUE = 16;
}

export type Env = Readonly<Environment>;

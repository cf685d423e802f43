import { availableParallelism } from 'node:os';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MinLength, ValidateIf } from 'class-validator';
import { IntRange, toList } from './env-decorators';
import type { RedisMode } from './redis-topology';
import { DEFAULT_HEAP_GROWING_PERCENT } from '../runtime/heap-growth';

/** `host:port` (a DNS name, an IPv4 address or a bracketed IPv6 address, and a port). */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([1-9]\d{0,4})$/;
const HOST_PORT_MESSAGE = 'must be a comma-separated list of host:port';

/*
 * Adding a variable (the other half is the module's slice, see config-slices.ts):
 * 1. declare it here with its validators and default (`@IntRange(min, max)` for integers; a secret
 *    has no default and is listed in src/platform/secrets/secret-inventory.ts);
 * 2. expose it in the owning module's slice (`src/<module>/<module>.config.ts`);
 * 3. document it in README's configuration table, .env.example and, if it is contract, docs/contract.md.
 */

/**
 * Every variable of docs/contract.md, validated once at boot by `loadEnvironment` (environment.ts). Secrets have no default anywhere:
 * an absent secret is an error, never a fallback.
 */
/**
 * PASSWORD_HASH_CONCURRENCY's default: one fewer than the cores (at least one), so that however
 * many logins arrive, a core is left to the event loop (liveness, every other route). Each hash
 * runs on a libuv thread at the event loop's own scheduling priority; more hashing threads than
 * spare cores make the loop wait for a core.
 */
export function defaultHashConcurrency(cores: number = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/**
 * PASSWORD_HASH_NICE's default, and the hashing threads' nice value when none is given: 19, the
 * lowest priority, so the event loop wins every core it contends for with a hash.
 */
export const DEFAULT_PASSWORD_HASH_NICE = 19;

export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IntRange(0, 65535)
  PORT = 3000;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  /**
   * Port of the separate Prometheus listener (`GET /metrics`). Unset: metrics are off. 0: any free
   * port (tests). Never the public port.
   */
  @IsOptional()
  @IntRange(0, 65535)
  METRICS_PORT?: number;

  /**
   * Port of a second listener for the orchestrator's probes (the same application as on PORT, on
   * HOST), so that a probe's connection is never queued behind a burst of client connections.
   * Unset: none. 0: any free port (tests). Never PORT or METRICS_PORT.
   */
  @IsOptional()
  @IntRange(0, 65535)
  PROBE_PORT?: number;

  /** Address of the metrics listener; loopback by default so only the host (or a sidecar) scrapes it. */
  @IsString()
  @MinLength(1)
  METRICS_HOST = '127.0.0.1';

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

  /** How REDIS_URL is reached: one server, a Redis Cluster, or a Sentinel-managed primary. */
  @IsIn(['standalone', 'cluster', 'sentinel'])
  REDIS_MODE: RedisMode = 'standalone';

  /** Cluster mode: more seed nodes (`host:port,...`) besides REDIS_URL's host. */
  @IsOptional()
  @Matches(HOST_PORT, { each: true, message: HOST_PORT_MESSAGE })
  @Transform(toList)
  REDIS_CLUSTER_NODES: string[] = [];

  /** Sentinel mode: the sentinels to ask for the current primary (`host:port,...`). */
  @IsOptional()
  @Matches(HOST_PORT, { each: true, message: HOST_PORT_MESSAGE })
  @Transform(toList)
  REDIS_SENTINELS: string[] = [];

  /** Sentinel mode: the master name the sentinels monitor. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1-64 characters of [A-Za-z0-9._-]' })
  REDIS_SENTINEL_MASTER?: string = undefined;

  /** Sentinel mode: the sentinels' own password (`requirepass` in sentinel.conf), if they have one. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  REDIS_SENTINEL_PASSWORD?: string = undefined;

  /** Namespace for every Redis key this instance writes (tests give each run its own). */
  @IsString()
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/, { message: 'must be 1-64 characters of [A-Za-z0-9:_-]' })
  REDIS_KEY_PREFIX = 'gw:';

  /**
   * How long the auth guard may trust a cached identity (enabled flag, role, session version)
   * before re-reading it from PostgreSQL; also the longest a lost invalidation can keep an entry
   * stale. 0 disables the cache (every request reads the user row).
   */
  @IntRange(0, 60000)
  IDENTITY_CACHE_TTL_MS = 5000;

  /** Most identities cached per instance (least recently used evicted first). */
  @IntRange(1, 1000000)
  IDENTITY_CACHE_MAX_ENTRIES = 10000;

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

  /** Failures on one account from all clients together before it refuses clients it does not know. */
  @IntRange(1, 100000)
  LOCKOUT_ACCOUNT_THRESHOLD = 50;

  /** Failed logins from one client, across accounts, before its credential routes answer 429. */
  @IntRange(1, 100000)
  LOGIN_CLIENT_FAILURE_LIMIT = 20;

  /** How long a successful login makes a client known to that account. */
  @IntRange(1, 3650)
  KNOWN_CLIENT_TTL_DAYS = 30;

  @IntRange(1, 1000)
  DB_POOL_MAX = 10;

  @IntRange(100)
  DB_POOL_TIMEOUT_MS = 2000;

  @IntRange(100)
  DB_STATEMENT_TIMEOUT_MS = 5000;

  /**
   * `session`: DATABASE_URL reaches PostgreSQL (or a session pooler); the timeouts are sent as
   * startup parameters. `transaction`: it reaches a transaction pooler such as PgBouncer, which
   * refuses or ignores startup parameters; the timeouts must then be server-side defaults
   * (ALTER ROLE ... SET). In both modes they are verified at start and by every readiness check.
   */
  @IsIn(['session', 'transaction'])
  DB_POOL_MODE: 'session' | 'transaction' = 'session';

  /**
   * On SIGTERM/SIGINT, how long readiness answers 503 while the instance keeps serving, so a load
   * balancer stops routing to it before it stops listening. 0 closes at once.
   */
  @IntRange(0, 60000)
  SHUTDOWN_DRAIN_MS = 0;

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

  /**
   * How often each instance settles payments left `unknown` with the provider (reconciliation
   * worker). 0 turns the worker off in this instance; otherwise 100 ms to 1 hour.
   */
  @ValidateIf((env: Environment) => env.PAYMENT_RECONCILE_INTERVAL_MS !== 0)
  @IntRange(100, 3_600_000)
  PAYMENT_RECONCILE_INTERVAL_MS = 30_000;

  /**
   * The key the provider signs webhooks with (HMAC-SHA256). Unset: POST /v1/webhooks/payment-provider
   * answers 404 and pending payments settle by status queries only.
   */
  @IsOptional()
  @IsString()
  @MinLength(32)
  PAYMENT_PROVIDER_WEBHOOK_SECRET?: string = undefined;

  /** Older webhook signing keys still accepted during a rotation (comma-separated). */
  @IsOptional()
  @IsString({ each: true })
  @MinLength(32, { each: true })
  @Transform(toList)
  PAYMENT_PROVIDER_WEBHOOK_SECRET_PREVIOUS: string[] = [];

  /** Largest allowed distance (either direction) between a webhook's signed timestamp and now. */
  @IntRange(1, 86400)
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300;

  /** Most password hashes computed at once per instance (default: cores - 1, at least 1); excess logins wait or answer 503. */
  @IntRange(1, 256)
  PASSWORD_HASH_CONCURRENCY = defaultHashConcurrency();

  /** Most logins waiting for a hashing slot before the excess is refused. */
  @IntRange(0, 10000)
  PASSWORD_HASH_QUEUE = 16;

  /**
   * Further logins that may wait for a hashing slot when they come from a client known to the
   * account; while both kinds wait, freed slots alternate between them, so a login flood cannot
   * refuse an account's owner, and known clients cannot starve the others.
   */
  @IntRange(0, 10000)
  PASSWORD_HASH_KNOWN_CLIENT_QUEUE = 4;

  /**
   * Nice value of the password-hashing threads (Linux; a nice value is per thread there): 19, the
   * lowest priority, lets the event loop take a core from a hash whenever both want one. 0 keeps
   * the event loop's own priority.
   */
  @IntRange(0, 19)
  PASSWORD_HASH_NICE = DEFAULT_PASSWORD_HASH_NICE;

  /**
   * How far V8's old generation may grow past the live heap before the next full collection, in
   * percent (applyHeapGrowing). 0: V8's own heuristics (up to 4 x the live heap on small heaps).
   */
  @IntRange(0, 1000)
  V8_HEAP_GROWING_PERCENT = DEFAULT_HEAP_GROWING_PERCENT;
}

export type Env = Readonly<Environment>;

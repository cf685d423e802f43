import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { isKnownPlaceholder, SECRET_VARIABLES } from '../secrets/secret-inventory';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0)
    : value;

/**
 * Every variable of CONTRACT.md, validated once at boot. Secrets have no default anywhere:
 * an absent secret is an error, never a fallback.
 */
export class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsInt()
  @Min(0)
  @Max(65535)
  @Transform(toInt)
  PORT = 3000;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  /**
   * Port of the separate Prometheus listener (`GET /metrics`). Unset: metrics are off. 0: any free
   * port (tests). Never the public port.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  @Transform(toInt)
  METRICS_PORT?: number;

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

  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  @Transform(toInt)
  BODY_LIMIT_BYTES = 16 * 1024;

  /** Longest time to receive a whole request (headers and body); slower clients get 408. */
  @IsInt()
  @Min(1000)
  @Max(600000)
  @Transform(toInt)
  REQUEST_TIMEOUT_MS = 30000;

  /** How long a /health/ready result is reused; concurrent probes share one check. 0 disables. */
  @IsInt()
  @Min(0)
  @Max(10000)
  @Transform(toInt)
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

  @IsInt()
  @Min(30)
  @Max(86400)
  @Transform(toInt)
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

  @IsInt()
  @Min(60)
  @Max(365 * 86400)
  @Transform(toInt)
  REFRESH_TOKEN_TTL_SECONDS = 1209600;

  @IsInt()
  @Min(0)
  @Max(300)
  @Transform(toInt)
  REFRESH_REUSE_GRACE_SECONDS = 0;

  @IsInt()
  @Min(1)
  @Transform(toInt)
  RATE_LIMIT_GLOBAL_LIMIT = 100;

  @IsInt()
  @Min(1)
  @Transform(toInt)
  RATE_LIMIT_GLOBAL_TTL_SECONDS = 60;

  @IsInt()
  @Min(1)
  @Transform(toInt)
  RATE_LIMIT_AUTH_LIMIT = 10;

  @IsInt()
  @Min(1)
  @Transform(toInt)
  RATE_LIMIT_AUTH_TTL_SECONDS = 60;

  @IsInt()
  @Min(1)
  @Max(1000)
  @Transform(toInt)
  LOCKOUT_THRESHOLD = 5;

  @IsInt()
  @Min(1)
  @Transform(toInt)
  LOCKOUT_DURATION_SECONDS = 900;

  @IsInt()
  @Min(1)
  @Max(1000)
  @Transform(toInt)
  DB_POOL_MAX = 10;

  @IsInt()
  @Min(100)
  @Transform(toInt)
  DB_POOL_TIMEOUT_MS = 2000;

  @IsInt()
  @Min(100)
  @Transform(toInt)
  DB_STATEMENT_TIMEOUT_MS = 5000;

  @IsString()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  PAYMENT_PROVIDER_URL!: string;

  @IsString()
  @MinLength(16)
  PAYMENT_PROVIDER_API_KEY!: string;

  @IsInt()
  @Min(50)
  @Transform(toInt)
  PAYMENT_PROVIDER_TIMEOUT_MS = 2000;

  @IsInt()
  @Min(0)
  @Max(10)
  @Transform(toInt)
  PAYMENT_PROVIDER_RETRIES = 2;

  @IsInt()
  @Min(1)
  @Transform(toInt)
  CIRCUIT_FAILURE_THRESHOLD = 5;

  @IsInt()
  @Min(100)
  @Transform(toInt)
  CIRCUIT_HALF_OPEN_AFTER_MS = 10000;

  /** Most provider calls in flight at once per instance (bulkhead); the excess waits in a queue. */
  @IsInt()
  @Min(1)
  @Max(1000)
  @Transform(toInt)
  PAYMENT_PROVIDER_MAX_CONCURRENCY = 20;

  /** Most provider calls waiting for a bulkhead slot; beyond that a payment answers 503 at once. */
  @IsInt()
  @Min(0)
  @Max(10000)
  @Transform(toInt)
  PAYMENT_PROVIDER_MAX_QUEUE = 50;

  /** Uppercase ISO 4217 codes accepted for payments. */
  @IsString({ each: true })
  @Matches(/^[A-Z]{3}$/, { each: true })
  @Transform(toList)
  PAYMENT_CURRENCIES: string[] = ['EUR', 'USD', 'GBP'];

  /** Most password hashes computed at once per instance; excess logins answer 503. */
  @IsInt()
  @Min(1)
  @Max(256)
  @Transform(toInt)
  PASSWORD_HASH_CONCURRENCY = 4;

  /** Most logins waiting for a hashing slot before the excess is refused. */
  @IsInt()
  @Min(0)
  @Max(10000)
  @Transform(toInt)
  PASSWORD_HASH_QUEUE = 16;
}

export type Env = Readonly<Environment>;

/** Thrown when the environment is unusable; its message names variables, never values. */
export class EnvironmentError extends Error {
  constructor(readonly problems: ReadonlyArray<{ variable: string; reason: string }>) {
    super('Refusing to start: invalid configuration. ' + problems.map((p) => `${p.variable}: ${p.reason}`).join('; '));
    this.name = 'EnvironmentError';
  }
}

const KNOWN = new Set(Object.keys(new Environment()));

function urlPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return undefined;
  }
}

/**
 * Validates `source` (normally process.env) and returns the typed configuration.
 * Empty strings count as absent, so `VAR=` cannot slip past a required check.
 */
export function loadEnvironment(source: NodeJS.ProcessEnv): Env {
  const raw: Record<string, string> = {};
  for (const key of KNOWN) {
    const value = source[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value;
  }
  for (const name of SECRET_VARIABLES.map((s) => s.name)) {
    const value = source[name];
    if (value !== undefined && value.trim() !== '') raw[name] = value;
  }
  const env = plainToInstance(Environment, raw, { exposeDefaultValues: true });
  const problems: { variable: string; reason: string }[] = [];

  for (const error of validateSync(env, { forbidUnknownValues: true })) {
    const absent = raw[error.property] === undefined;
    problems.push({
      variable: error.property,
      // Constraint messages from class-validator quote the property name, never the value.
      reason: absent ? 'is required' : Object.values(error.constraints ?? {}).join(', '),
    });
  }

  for (const secret of SECRET_VARIABLES) {
    const values = secret.list
      ? ((env as unknown as Record<string, string[]>)[secret.name] ?? [])
      : [secret.url ? urlPassword(raw[secret.name]) : raw[secret.name]];
    const placeholder = values.some((v) => v !== undefined && v !== '' && isKnownPlaceholder(v));
    if (placeholder && !problems.some((p) => p.variable === secret.name)) {
      problems.push({
        variable: secret.name,
        reason: 'is a known placeholder or a low-entropy value; generate a random one',
      });
    }
  }

  if (env.NODE_ENV === 'production' && raw.REDIS_URL && !urlPassword(raw.REDIS_URL)) {
    problems.push({
      variable: 'REDIS_URL',
      reason: 'must carry credentials (redis://user:password@host) when NODE_ENV=production',
    });
  }
  if (raw.JWT_ACCESS_SECRET && env.JWT_ACCESS_PREVIOUS_SECRETS.includes(raw.JWT_ACCESS_SECRET)) {
    problems.push({
      variable: 'JWT_ACCESS_PREVIOUS_SECRETS',
      reason: 'must not contain the current JWT_ACCESS_SECRET',
    });
  }

  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
    problems.push({ variable: 'METRICS_PORT', reason: 'must differ from PORT (metrics are never on the public port)' });
  }

  if (problems.length > 0) {
    problems.sort((a, b) => a.variable.localeCompare(b.variable));
    throw new EnvironmentError(problems);
  }
  return Object.freeze(env);
}

export function docsEnabled(env: Env): boolean {
  return env.DOCS_ENABLED === undefined ? env.NODE_ENV !== 'production' : env.DOCS_ENABLED === 'true';
}

import { randomBytes } from 'node:crypto';
import { loadEnvironment, type Env } from '../../src/platform/config/environment';

/** A random secret as an operator would generate one (tests never carry fixed secrets). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

let instance = 0;

/** Raw variables for a gateway on this run's database and a fresh Redis key space. */
export function testVariables(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  instance += 1;
  const vars: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    // The docs route loads an ESM-only dependency Jest cannot require; spawned-server tests cover /docs.
    DOCS_ENABLED: 'false',
    // Readiness must reflect an outage at once in tests; the cache has its own test.
    HEALTH_READY_CACHE_MS: '0',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    REDIS_URL: process.env.TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `${process.env.TEST_REDIS_PREFIX}${process.pid}-${instance}-${randomBytes(3).toString('hex')}:`,
    JWT_ACCESS_SECRET: randomSecret(),
    REFRESH_TOKEN_PEPPER: randomSecret(),
    PAYMENT_PROVIDER_URL: 'http://127.0.0.1:9',
    PAYMENT_PROVIDER_API_KEY: randomSecret(24),
    // Suites that test limits lower these; the others must never trip them by accident.
    RATE_LIMIT_GLOBAL_LIMIT: '100000',
    RATE_LIMIT_AUTH_LIMIT: '100000',
    // Every suite logs in from 127.0.0.1: only the suites that test it count failures across accounts.
    LOGIN_CLIENT_FAILURE_LIMIT: '100000',
    // Every suite shares one database: a worker in one suite's gateway would settle another suite's
    // `unknown` payments against its own stand-in. Suites that test reconciliation turn it on
    // against a database of their own.
    PAYMENT_RECONCILE_INTERVAL_MS: '0',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== undefined));
}

export function testEnv(overrides: Record<string, string | undefined> = {}): Env {
  return loadEnvironment(testVariables(overrides));
}

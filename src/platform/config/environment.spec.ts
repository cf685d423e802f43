import { loadEnvironment } from './environment';
import { problemsOf, secret, validVariables as valid } from './environment.fixture';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { defaultHashConcurrency } from './environment.schema';

describe('loadEnvironment', () => {
  it('applies the contract defaults to optional variables', () => {
    const env = loadEnvironment(valid());
    expect(env).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      NODE_ENV: 'development',
      JWT_ACCESS_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 1209600,
      REFRESH_REUSE_GRACE_SECONDS: 0,
      RATE_LIMIT_GLOBAL_LIMIT: 100,
      RATE_LIMIT_GLOBAL_TTL_SECONDS: 60,
      RATE_LIMIT_AUTH_LIMIT: 10,
      RATE_LIMIT_AUTH_TTL_SECONDS: 60,
      LOCKOUT_THRESHOLD: 5,
      LOCKOUT_DURATION_SECONDS: 900,
      LOCKOUT_ACCOUNT_THRESHOLD: 50,
      LOGIN_CLIENT_FAILURE_LIMIT: 20,
      KNOWN_CLIENT_TTL_DAYS: 30,
      DB_POOL_MAX: 10,
      DB_POOL_TIMEOUT_MS: 2000,
      DB_STATEMENT_TIMEOUT_MS: 5000,
      PAYMENT_PROVIDER_TIMEOUT_MS: 2000,
      PAYMENT_PROVIDER_RETRIES: 2,
      CIRCUIT_FAILURE_THRESHOLD: 5,
      CIRCUIT_HALF_OPEN_AFTER_MS: 10000,
      PAYMENT_PROVIDER_MAX_CONCURRENCY: 20,
      PAYMENT_PROVIDER_MAX_QUEUE: 50,
      PAYMENT_RECONCILE_INTERVAL_MS: 30000,
      JWT_ACCESS_PREVIOUS_SECRETS: [],
      REFRESH_TOKEN_PEPPER_PREVIOUS: [],
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('leaves one core to the event loop by default: PASSWORD_HASH_CONCURRENCY is cores - 1, at least 1', () => {
    expect(defaultHashConcurrency(1)).toBe(1);
    expect(defaultHashConcurrency(2)).toBe(1);
    expect(defaultHashConcurrency(8)).toBe(7);
    expect(loadEnvironment(valid()).PASSWORD_HASH_CONCURRENCY).toBe(Math.max(1, availableParallelism() - 1));
    expect(loadEnvironment({ ...valid(), PASSWORD_HASH_CONCURRENCY: '4' }).PASSWORD_HASH_CONCURRENCY).toBe(4);
  });

  it('parses numbers and comma lists from strings', () => {
    const old = [secret(), secret()];
    const env = loadEnvironment({ ...valid(), PORT: '8080', JWT_ACCESS_PREVIOUS_SECRETS: ` ${old[0]}, ${old[1]} ` });
    expect(env.PORT).toBe(8080);
    expect(env.JWT_ACCESS_PREVIOUS_SECRETS).toEqual(old);
  });

  it('reads the identity cache knobs, 0 disabling the cache, and refuses values out of range', () => {
    const defaults = loadEnvironment(valid());
    expect([defaults.IDENTITY_CACHE_TTL_MS, defaults.IDENTITY_CACHE_MAX_ENTRIES]).toEqual([5000, 10000]);
    const set = loadEnvironment({ ...valid(), IDENTITY_CACHE_TTL_MS: '0', IDENTITY_CACHE_MAX_ENTRIES: '5' });
    expect([set.IDENTITY_CACHE_TTL_MS, set.IDENTITY_CACHE_MAX_ENTRIES]).toEqual([0, 5]);
    for (const [variable, value] of <[string, string][]>[
      ['IDENTITY_CACHE_TTL_MS', '-1'],
      ['IDENTITY_CACHE_TTL_MS', '60001'],
      ['IDENTITY_CACHE_TTL_MS', '5s'],
      ['IDENTITY_CACHE_MAX_ENTRIES', '0'],
      ['IDENTITY_CACHE_MAX_ENTRIES', '1000001'],
    ]) {
      expect(problemsOf({ ...valid(), [variable]: value }).map((p) => p.variable)).toEqual([variable]);
    }
  });

  it('names every missing required variable at once and treats empty as missing [gate:1.5.5]', () => {
    const problems = problemsOf({ DATABASE_URL: '', REDIS_URL: '  ' });
    expect(problems.map((p) => p.variable)).toEqual([
      'DATABASE_URL',
      'JWT_ACCESS_SECRET',
      'PAYMENT_PROVIDER_API_KEY',
      'PAYMENT_PROVIDER_URL',
      'REDIS_URL',
      'REFRESH_TOKEN_PEPPER',
    ]);
    expect(problems.every((p) => p.reason === 'is required')).toBe(true);
  });

  it.each([
    'changeme-changeme-changeme-changeme!',
    'replace-me-with-openssl-rand-base64-48',
    'your-jwt-secret-goes-here-0123456789abc',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '12121212121212121212121212121212121212',
    'my-dummy-secret-for-local-development-only-1234567890',
    'TODO-generate-a-real-one-with-openssl-0123456789',
  ])('rejects the placeholder %s without quoting it', (value) => {
    let message = '';
    try {
      loadEnvironment({ ...valid(), JWT_ACCESS_SECRET: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('JWT_ACCESS_SECRET');
    expect(message).not.toContain(value);
  });

  it('rejects a too-short secret and a non-URL database', () => {
    const problems = problemsOf({ ...valid(), REFRESH_TOKEN_PEPPER: 'Zq8#kP2!vL9@', DATABASE_URL: 'mysql://x' });
    expect(problems.map((p) => p.variable)).toEqual(['DATABASE_URL', 'REFRESH_TOKEN_PEPPER']);
  });

  it('reads PROBE_PORT (unset: no probe listener; 0: any free port) and keeps it off PORT and METRICS_PORT', () => {
    expect(loadEnvironment(valid()).PROBE_PORT).toBeUndefined();
    expect(loadEnvironment({ ...valid(), PROBE_PORT: '9000' }).PROBE_PORT).toBe(9000);
    expect(loadEnvironment({ ...valid(), PROBE_PORT: '0', METRICS_PORT: '0' }).PROBE_PORT).toBe(0);
    expect(problemsOf({ ...valid(), PROBE_PORT: '3000' })).toEqual([
      { variable: 'PROBE_PORT', reason: 'must differ from PORT (it is a listener of its own)' },
    ]);
    expect(problemsOf({ ...valid(), PROBE_PORT: '9464', METRICS_PORT: '9464' })).toEqual([
      { variable: 'PROBE_PORT', reason: 'must differ from METRICS_PORT' },
    ]);
    expect(problemsOf({ ...valid(), PROBE_PORT: '70000' }).map((p) => p.variable)).toEqual(['PROBE_PORT']);
  });

  it('accepts 0 (off) or 100 ms to 1 hour for PAYMENT_RECONCILE_INTERVAL_MS, and refuses anything else', () => {
    expect(loadEnvironment({ ...valid(), PAYMENT_RECONCILE_INTERVAL_MS: '0' }).PAYMENT_RECONCILE_INTERVAL_MS).toBe(0);
    expect(loadEnvironment({ ...valid(), PAYMENT_RECONCILE_INTERVAL_MS: '250' }).PAYMENT_RECONCILE_INTERVAL_MS).toBe(
      250,
    );
    for (const bad of ['50', '-1', 'soon', '3600001', '1.5']) {
      expect(problemsOf({ ...valid(), PAYMENT_RECONCILE_INTERVAL_MS: bad }).map((p) => p.variable)).toEqual([
        'PAYMENT_RECONCILE_INTERVAL_MS',
      ]);
    }
  });

  it('requires Redis credentials in production only', () => {
    expect(problemsOf({ ...valid(), NODE_ENV: 'production' }).map((p) => p.variable)).toEqual(['REDIS_URL']);
    expect(
      problemsOf({ ...valid(), NODE_ENV: 'production', REDIS_URL: `redis://gw:${secret()}@10.0.0.1:6379` }),
    ).toEqual([]);
  });

  it('accepts generated secrets that hold a template word by chance', () => {
    // One base64url secret in about 50,000 holds "todo" somewhere; such a value is still random.
    for (const word of ['todo', 'Dummy', 'default', 'example', 'xxxxxx', 'changeme']) {
      for (let i = 0; i < 200; i += 1) {
        const random = randomBytes(32).toString('base64url');
        const at = i % random.length;
        const value = random.slice(0, at) + word + random.slice(at);
        expect(problemsOf({ ...valid(), JWT_ACCESS_SECRET: value })).toEqual([]);
      }
    }
  });

  it('rejects a placeholder password inside a URL secret', () => {
    expect(
      problemsOf({ ...valid(), DATABASE_URL: 'postgresql://gateway:replace-me@db:5432/gateway' }).map(
        (p) => p.variable,
      ),
    ).toEqual(['DATABASE_URL']);
  });

  it('refuses a current JWT secret listed among the previous ones', () => {
    const vars = valid();
    expect(
      problemsOf({ ...vars, JWT_ACCESS_PREVIOUS_SECRETS: vars.JWT_ACCESS_SECRET ?? '' }).map((p) => p.variable),
    ).toEqual(['JWT_ACCESS_PREVIOUS_SECRETS']);
  });
});

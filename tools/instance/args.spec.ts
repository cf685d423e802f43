import { InstanceUsageError, parseInstanceArgs } from './args';
import { gatewayEnvironment, instanceOptionsFrom } from './options';
import { instanceVariables, InstanceState } from './state';

describe('instance command line and options', () => {
  it('reads start [--state-dir DIR] and stop DIR [--keep-logs]', () => {
    expect(parseInstanceArgs(['start'])).toEqual({ kind: 'start', stateDir: undefined });
    expect(parseInstanceArgs(['start', '--state-dir', '/tmp/i'])).toEqual({ kind: 'start', stateDir: '/tmp/i' });
    expect(parseInstanceArgs(['stop', '/tmp/i'])).toEqual({ kind: 'stop', dir: '/tmp/i', keepLogs: false });
    expect(parseInstanceArgs(['stop', '/tmp/i', '--keep-logs'])).toEqual({
      kind: 'stop',
      dir: '/tmp/i',
      keepLogs: true,
    });
    expect(parseInstanceArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it('refuses anything else with the usage', () => {
    for (const argv of [
      [],
      ['stop'],
      ['stop', 'a', 'b'],
      ['start', 'x'],
      ['start', '--keep-logs'],
      ['restart'],
      ['start', '--fast'],
    ]) {
      expect(() => parseInstanceArgs(argv)).toThrow(InstanceUsageError);
    }
  });

  it('creates databases through SCAN_ADMIN_DATABASE_URL, else DATABASE_URL, else the local default', () => {
    const from = (env: NodeJS.ProcessEnv): string => instanceOptionsFrom(env, { outliveParent: true }).adminDatabaseUrl;
    expect(from({ SCAN_ADMIN_DATABASE_URL: 'postgresql://a/x', DATABASE_URL: 'postgresql://b/y' })).toBe(
      'postgresql://a/x',
    );
    expect(from({ DATABASE_URL: 'postgresql://b/y' })).toBe('postgresql://b/y');
    expect(from({})).toBe('postgresql://postgres@127.0.0.1:5432/postgres');
    expect(instanceOptionsFrom({ SCAN_PRODUCTION_LIMITS: '1' }, { outliveParent: false })).toMatchObject({
      productionLimits: true,
      outliveParent: false,
      fallbackRedisUrl: 'redis://127.0.0.1:6379',
    });
  });

  it('raises rate limits and the lockout threshold unless production limits are asked for', () => {
    const parts = {
      path: '/usr/bin',
      nodeEnv: 'production' as const,
      port: 1,
      databaseUrl: 'd',
      redisUrl: 'r',
      keyPrefix: 'gwscan:x:',
      providerUrl: 'p',
      providerKey: 'k',
      jwtSecret: 'j',
      pepper: 'e',
    };
    expect(gatewayEnvironment({ ...parts, productionLimits: false })).toMatchObject({
      RATE_LIMIT_GLOBAL_LIMIT: '1000000',
      RATE_LIMIT_AUTH_LIMIT: '1000000',
      LOCKOUT_THRESHOLD: '1000',
      LOGIN_CLIENT_FAILURE_LIMIT: '100000',
      DOCS_ENABLED: 'true',
      HOST: '127.0.0.1',
    });
    const strict = gatewayEnvironment({ ...parts, productionLimits: true });
    expect(strict.RATE_LIMIT_GLOBAL_LIMIT).toBeUndefined();
    expect(strict.LOCKOUT_THRESHOLD).toBeUndefined();
    expect(strict.LOGIN_CLIENT_FAILURE_LIMIT).toBeUndefined();
  });

  it('prints the scan variables, empty where a user could not log in', () => {
    const state: InstanceState = {
      id: 'x',
      dir: '/tmp/i',
      database: 'gw_scan_x',
      adminDatabaseUrl: 'postgresql://a/x',
      pids: {},
      migrated: true,
      ready: true,
      url: 'http://127.0.0.1:5',
      users: { user: { email: 'u', password: 'p', created: 'created', accessToken: 'at', refreshToken: 'rt' } },
    };
    expect(instanceVariables(state)).toEqual({
      GW_INSTANCE_DIR: '/tmp/i',
      SCAN_TARGET_URL: 'http://127.0.0.1:5',
      SCAN_BEARER_TOKEN: 'at',
      SCAN_ADMIN_TOKEN: '',
      SCAN_REFRESH_TOKEN: 'rt',
    });
  });
});

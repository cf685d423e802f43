import { budgetFromEnv, DEFAULT_BUDGET, parseScanArgs, ScanOptions, UsageError } from './args';

const optionsOf = (argv: string[], env: NodeJS.ProcessEnv = {}): ScanOptions => {
  const command = parseScanArgs(argv, env);
  if (command.kind !== 'scan') throw new Error('not a scan command');
  return command.options;
};

describe('security:scan arguments', () => {
  it('reads every option from SCAN_* variables, and a flag wins over its variable', () => {
    const env = {
      SCAN_TARGET_URL: 'http://127.0.0.1:3000',
      SCAN_BEARER_TOKEN: 'user-token-123',
      SCAN_ADMIN_TOKEN: 'admin-token-123',
      SCAN_REFRESH_TOKEN: 'refresh-token-123',
      SCAN_OUTPUT_DIR: '/tmp/out',
      SCAN_ENGINE: 'local',
      SCAN_SERVER_LOG: '/tmp/gateway.log',
    };
    expect(optionsOf([], env)).toEqual({
      url: 'http://127.0.0.1:3000',
      token: 'user-token-123',
      adminToken: 'admin-token-123',
      refreshToken: 'refresh-token-123',
      out: '/tmp/out',
      engine: 'local',
      serverLog: '/tmp/gateway.log',
    });
    expect(optionsOf(['--url', 'http://localhost:4000', '--engine=zap', '--token', 'flag-token-1'], env)).toMatchObject(
      {
        url: 'http://localhost:4000',
        engine: 'zap',
        token: 'flag-token-1',
      },
    );
  });

  it('uses one token for both roles when only one is given, and treats empty variables as unset', () => {
    expect(optionsOf(['--url', 'http://127.0.0.1:1', '--admin-token', 'only-admin'])).toMatchObject({
      token: 'only-admin',
      adminToken: 'only-admin',
    });
    const empty = optionsOf(['--url', 'http://127.0.0.1:1'], {
      SCAN_BEARER_TOKEN: '',
      SCAN_OUTPUT_DIR: '',
      SCAN_ENGINE: '',
    });
    expect(empty).toMatchObject({ token: undefined, adminToken: undefined, out: undefined, engine: 'auto' });
  });

  it('refuses a missing or malformed URL, an unknown engine, unknown flags and stray words as usage errors', () => {
    for (const argv of [
      [],
      ['--url', 'not a url'],
      ['--url', 'http://127.0.0.1:1', '--engine', 'nmap'],
      ['--bogus'],
      ['scan'],
    ]) {
      expect(() => parseScanArgs(argv, {})).toThrow(UsageError);
    }
  });

  it('answers --help without needing a URL', () => {
    expect(parseScanArgs(['--help'], {})).toEqual({ kind: 'help' });
  });

  it('takes the time budget from positive numeric variables only', () => {
    expect(budgetFromEnv({})).toEqual(DEFAULT_BUDGET);
    expect(
      budgetFromEnv({ SCAN_SQLMAP_TARGET_SECONDS: '30', SCAN_WAPITI_MAX_SECONDS: 'soon', SCAN_SQLMAP_LEVEL: '0' }),
    ).toEqual({ ...DEFAULT_BUDGET, sqlmapTarget: 30 });
    expect(budgetFromEnv({}, { ...DEFAULT_BUDGET, sqlmapTarget: 90 }).sqlmapTarget).toBe(90);
  });
});

import { parseBenchOptions, SCENARIO_IDS, UsageError } from './options';

describe('bench options', () => {
  it('defaults to every scenario, 5 s runs, 3 rounds, 20 connections, 2 s warm-up, a 120 s soak', () => {
    const options = parseBenchOptions([], {});
    expect(options.settings).toEqual({
      duration: 5,
      rounds: 3,
      connections: 20,
      warmup: 2,
      soakSeconds: 120,
      only: [],
      profile: false,
    });
    expect(options.logLevel).toBe('info');
    expect(options.gatewayEnv).toEqual({});
    expect(options.nodeArgs).toEqual([]);
    expect(options.help).toBe(false);
  });

  it('reads the BENCH_* variables', () => {
    const options = parseBenchOptions([], {
      BENCH_ONLY: 'metrics,flood',
      BENCH_DURATION: '2',
      BENCH_ROUNDS: '1',
      BENCH_CONNECTIONS: '8',
      BENCH_WARMUP: '0',
      BENCH_SOAK: '30',
      BENCH_PROFILE: '1',
      BENCH_LOG_LEVEL: 'warn',
      BENCH_GATEWAY_ENV: '{"PASSWORD_HASH_CONCURRENCY":"1","DB_POOL_MAX":4}',
      BENCH_NODE_ARGS: '--require ./monitor.js  --max-old-space-size=512',
    });
    expect(options.settings).toEqual({
      duration: 2,
      rounds: 1,
      connections: 8,
      warmup: 0,
      soakSeconds: 30,
      only: ['metrics', 'flood'],
      profile: true,
    });
    expect(options.logLevel).toBe('warn');
    expect(options.gatewayEnv).toEqual({ PASSWORD_HASH_CONCURRENCY: '1', DB_POOL_MAX: '4' });
    expect(options.nodeArgs).toEqual(['--require', './monitor.js', '--max-old-space-size=512']);
  });

  it('lets an option win over its variable', () => {
    const options = parseBenchOptions(
      ['--only', 'pipeline', '--duration=1', '--rounds', '2', '--log-level', 'silent', '--profile'],
      { BENCH_ONLY: 'peer', BENCH_DURATION: '9', BENCH_ROUNDS: '5', BENCH_LOG_LEVEL: 'debug' },
    );
    expect(options.settings).toMatchObject({ only: ['pipeline'], duration: 1, rounds: 2, profile: true });
    expect(options.logLevel).toBe('silent');
  });

  it('knows every scenario a run takes, in order, outage last', () => {
    expect(parseBenchOptions(['--only', SCENARIO_IDS.join(',')], {}).settings.only).toEqual([...SCENARIO_IDS]);
    expect(SCENARIO_IDS[SCENARIO_IDS.length - 1]).toBe('outage');
  });

  it.each([
    [['--only', 'pipline'], {}, /unknown scenario pipline/],
    [[], { BENCH_ONLY: 'peer,nope' }, /unknown scenario nope/],
    [['--duration', '0'], {}, /--duration \/ BENCH_DURATION must be a number >= 1/],
    [[], { BENCH_ROUNDS: '1.5' }, /BENCH_ROUNDS must be an integer >= 1/],
    [['--connections', 'many'], {}, /BENCH_CONNECTIONS must be an integer >= 1, not "many"/],
    [['--warmup=-1'], {}, /BENCH_WARMUP must be a number >= 0/],
    [[], { BENCH_GATEWAY_ENV: '{nope' }, /is not JSON/],
    [['--gateway-env', '["A"]'], {}, /must be a JSON object/],
    [['--no-such-option'], {}, /Unknown option '--no-such-option'/],
    [['stray'], {}, /Unexpected argument 'stray'/],
  ])('refuses %j %j', (argv: string[], env: NodeJS.ProcessEnv, message: RegExp) => {
    expect(() => parseBenchOptions(argv, env)).toThrow(UsageError);
    expect(() => parseBenchOptions(argv, env)).toThrow(message);
  });

  it('answers --help', () => {
    expect(parseBenchOptions(['--help'], {}).help).toBe(true);
  });
});

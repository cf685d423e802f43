import { alternate, closedLoop, commandCpuMicros, mediansOf, Run } from './load';

const run = (requestsPerSecond: number, extra: Partial<Run> = {}): Run => ({
  requestsPerSecond,
  p50: 1,
  p99: 2,
  max: 3,
  total: requestsPerSecond,
  non2xx: 0,
  errors: 0,
  ...extra,
});

describe('bench load runner', () => {
  it('runs a warm-up of each variant, then the rounds interleaved with the order flipped every round', async () => {
    const calls: string[] = [];
    const variant = (name: string) => (duration?: number) => {
      calls.push(duration === undefined ? name : `${name}:warmup ${duration}s`);
      return Promise.resolve(run(100));
    };
    const { runs } = await alternate({ a: variant('a'), b: variant('b') }, { rounds: 3, warmupSeconds: 2 });
    expect(calls).toEqual(['a:warmup 2s', 'b:warmup 2s', 'a', 'b', 'b', 'a', 'a', 'b']);
    expect(runs.a).toHaveLength(3);
  });

  it('skips the warm-up when it is 0 seconds', async () => {
    const calls: (number | undefined)[] = [];
    await alternate(
      {
        a: (duration?: number) => {
          calls.push(duration);
          return Promise.resolve(run(1));
        },
      },
      { rounds: 1, warmupSeconds: 0 },
    );
    expect(calls).toEqual([undefined]);
  });

  it('reports medians of the rounds and sums of their errors', () => {
    const medians = mediansOf([
      run(100, { serverCpuMicrosPerRequest: 300, non2xx: 1, errors: 1, timeouts: 2 }),
      run(300, { serverCpuMicrosPerRequest: 100, unexpected: 4 }),
      run(200, { serverCpuMicrosPerRequest: 200 }),
    ]);
    expect(medians).toEqual({
      requestsPerSecond: 200,
      p50: 1,
      p99: 2,
      serverCpuMicrosPerRequest: 200,
      non2xx: 1,
      unexpected: 4,
      errors: 3,
    });
    expect(mediansOf([run(1)])).not.toHaveProperty('serverCpuMicrosPerRequest');
  });
});

describe('CPU of the parts that share the machine', () => {
  it('sums the CPU of every process of a command, and 0 for a command that is not running', () => {
    const own = process.cpuUsage();
    // This process is one of the `node` processes; a busy loop makes its share visible in ticks.
    const until = Date.now() + 50;
    while (Date.now() < until);
    const mine = process.cpuUsage(own);
    expect(commandCpuMicros('node')).toBeGreaterThanOrEqual(Math.floor((mine.user + mine.system) / 10_000) * 10_000);
    expect(commandCpuMicros('no-such-command-here')).toBe(0);
  });

  it('reports the loader, PostgreSQL and Redis CPU per request of a closed loop', async () => {
    const run = await closedLoop({
      concurrency: 2,
      durationMs: 30,
      task: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return true;
      },
    });
    expect(run.total).toBeGreaterThan(0);
    expect(run.loaderCpuMicrosPerRequest).toBeGreaterThanOrEqual(0);
    expect(run.databaseCpuMicrosPerRequest).toBeGreaterThanOrEqual(0);
    expect(run.redisCpuMicrosPerRequest).toBeGreaterThanOrEqual(0);
  });
});

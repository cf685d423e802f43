import { loadEnvironment } from './environment';
import { problemsOf as problemsOfExactly, secret, validVariables as valid } from './environment.fixture';

/** What the boot check refuses in a valid environment with `vars` set. */
const problemsOf = (vars: Record<string, string>): ReturnType<typeof problemsOfExactly> =>
  problemsOfExactly({ ...valid(), ...vars });

describe('Redis topology configuration', () => {
  it('defaults to standalone with no cluster or sentinel settings', () => {
    expect(loadEnvironment(valid())).toMatchObject({
      REDIS_MODE: 'standalone',
      REDIS_CLUSTER_NODES: [],
      REDIS_SENTINELS: [],
      REDIS_SENTINEL_MASTER: undefined,
      REDIS_SENTINEL_PASSWORD: undefined,
    });
  });

  it('accepts a cluster with seed nodes and a sentinel set with a master name and password', () => {
    expect(
      loadEnvironment({
        ...valid(),
        REDIS_MODE: 'cluster',
        REDIS_CLUSTER_NODES: 'a.example:7000, 10.0.0.2:7001,[::1]:7002',
      }),
    ).toMatchObject({ REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: ['a.example:7000', '10.0.0.2:7001', '[::1]:7002'] });
    const password = secret();
    expect(
      loadEnvironment({
        ...valid(),
        REDIS_URL: `redis://:${secret()}@127.0.0.1:6379/2`,
        REDIS_MODE: 'sentinel',
        REDIS_SENTINELS: '10.0.0.5:26379,10.0.0.6:26379',
        REDIS_SENTINEL_MASTER: 'mymaster',
        REDIS_SENTINEL_PASSWORD: password,
      }),
    ).toMatchObject({ REDIS_MODE: 'sentinel', REDIS_SENTINEL_MASTER: 'mymaster', REDIS_SENTINEL_PASSWORD: password });
  });

  it('refuses an unknown mode', () => {
    expect(problemsOf({ REDIS_MODE: 'replicated' }).map((p) => p.variable)).toEqual(['REDIS_MODE']);
  });

  it('refuses cluster mode with a database other than 0 (Redis Cluster has only db 0)', () => {
    expect(problemsOf({ REDIS_MODE: 'cluster', REDIS_URL: 'redis://127.0.0.1:7000/3' })).toEqual([
      { variable: 'REDIS_URL', reason: expect.stringMatching(/database other than 0 with REDIS_MODE=cluster/) },
    ]);
    expect(problemsOf({ REDIS_MODE: 'cluster', REDIS_URL: 'redis://127.0.0.1:7000/0' })).toEqual([]);
  });

  it('refuses sentinel mode without sentinels or without a master name', () => {
    expect(problemsOf({ REDIS_MODE: 'sentinel' })).toEqual([
      { variable: 'REDIS_SENTINEL_MASTER', reason: 'is required with REDIS_MODE=sentinel' },
      { variable: 'REDIS_SENTINELS', reason: 'is required with REDIS_MODE=sentinel' },
    ]);
    expect(problemsOf({ REDIS_MODE: 'sentinel', REDIS_SENTINELS: '127.0.0.1:26379' })).toEqual([
      { variable: 'REDIS_SENTINEL_MASTER', reason: 'is required with REDIS_MODE=sentinel' },
    ]);
  });

  it("refuses a mode's variables in another mode rather than ignoring them", () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: '127.0.0.1:7001' })).toEqual([
      { variable: 'REDIS_CLUSTER_NODES', reason: 'only applies with REDIS_MODE=cluster' },
    ]);
    expect(
      problemsOf({ REDIS_MODE: 'cluster', REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_MASTER: 'm' }).map(
        (p) => p.variable,
      ),
    ).toEqual(['REDIS_SENTINEL_MASTER', 'REDIS_SENTINELS']);
  });

  it('refuses malformed host:port lists and master names', () => {
    expect(problemsOf({ REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '127.0.0.1' }).map((p) => p.variable)).toEqual([
      'REDIS_CLUSTER_NODES',
    ]);
    expect(
      problemsOf({ REDIS_MODE: 'sentinel', REDIS_SENTINELS: 'host:0', REDIS_SENTINEL_MASTER: 'bad name' }).map(
        (p) => p.variable,
      ),
    ).toEqual(['REDIS_SENTINEL_MASTER', 'REDIS_SENTINELS']);
  });

  it('refuses a placeholder sentinel password and never echoes it', () => {
    const problems = problemsOf({
      REDIS_MODE: 'sentinel',
      REDIS_SENTINELS: '127.0.0.1:26379',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'replace-me',
    });
    expect(problems.map((p) => p.variable)).toEqual(['REDIS_SENTINEL_PASSWORD']);
    expect(JSON.stringify(problems)).not.toContain('replace-me');
  });
});

import { getStorageToken } from '@nestjs/throttler';
import { RedisBootError } from '../../src/platform/redis/redis-connection';
import type { FallbackThrottlerStorage } from '../../src/platform/rate-limit/fallback-throttler.storage';
import { createUser } from '../auth/fixtures';
import { CommandMonitor } from '../../tools/harness';
import { http, startApp, TestApp } from '../helpers/app';
import { PrivateRedis } from '../helpers/processes';
import { RedisClusterTopology } from '../helpers/redis-topologies';
import { RateLimitProbeModule } from '../rate-limit/rate-limit-probe.module';
import {
  bootRefusal,
  burst,
  describeTopologyPair,
  expectHealAfterKill,
  expectOutageThenHeal,
  expectSharedLimit,
  expectSharedLockout,
  login,
  newClient,
  SHARED_LIMIT,
  userWithLockoutOn,
} from './topology-scenarios';
import { must } from '../helpers/must';

jest.setTimeout(120000);

describe('Redis Cluster (3 masters, 3 replicas, on loopback)', () => {
  const pair = describeTopologyPair({
    start: () => RedisClusterTopology.start(),
    variables: (cluster) => ({
      REDIS_MODE: 'cluster',
      REDIS_URL: cluster.url(),
      REDIS_CLUSTER_NODES: cluster.seedNodes(),
    }),
    readyWhen: 'with every master answering',
  });

  /** Every key of the pair's prefix, by the master that holds it. */
  async function keysByMaster(): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    for (const port of await pair.topology.masterPorts())
      out.set(port, await pair.topology.keysOn(port, `${pair.a.env.REDIS_KEY_PREFIX}*`));
    return out;
  }

  it('spreads the keys over the masters, each budget and lockout key in one slot of one master', async () => {
    for (let i = 0; i < 12; i++) expectSharedLimit(await burst(pair.a, pair.b, newClient(), SHARED_LIMIT + 1));
    const byMaster = await keysByMaster();
    expect([...byMaster.values()].filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
    // No key lives anywhere but on the master of its own slot (no CROSSSLOT, no misplaced writes).
    for (const [port, keys] of byMaster) for (const key of keys) expect(await pair.topology.masterOf(key)).toBe(port);
  });

  it("reads the client's login-failure counter within refresh's rate-limit script call: one call, one slot", async () => {
    const { topology: cluster, a } = pair;
    const client = newClient();
    const user = await createUser(a);
    const signedIn = await login(a, user, client);
    expect(signedIn.status).toBe(200);
    const { refreshToken } = signedIn.body as { refreshToken: string };
    const monitor = await CommandMonitor.start((await cluster.masterPorts()).map((port) => cluster.nodeUrl(port)));
    let status = 0;
    let seen: Awaited<ReturnType<CommandMonitor['during']>>;
    try {
      seen = await monitor.during(async () => {
        const refreshed = await http(a.url, 'POST', '/v1/auth/refresh', {
          body: { refreshToken },
          headers: { 'x-forwarded-for': client },
        });
        status = refreshed.status;
      });
    } finally {
      monitor.stop();
    }
    expect(status).toBe(200);
    const sent = seen.filter((c) => c.source !== 'lua' && /^(evalsha|eval|get|ttl)$/i.test(c.args[0] ?? ''));
    // One script call (no CROSSSLOT: the storage would have fallen back to memory), and it read the counter.
    expect(sent.map((c) => (c.args[0] ?? '').toLowerCase())).toEqual(['evalsha']);
    expect(seen.some((c) => c.source === 'lua' && /lockout:by-client:\{rl:/.test(c.args.join(' ')))).toBe(true);
    expect(a.app.get<FallbackThrottlerStorage>(getStorageToken()).store).toBe('redis');
  });

  /** A fresh client whose budget lives on one master (found by the keys its first request creates). */
  async function clientOnSomeMaster(): Promise<{ client: string; master: number }> {
    const before = await keysByMaster();
    const client = newClient();
    expect((await http(pair.a.url, 'GET', '/v1/limited', { headers: { 'x-forwarded-for': client } })).status).toBe(200);
    const after = await keysByMaster();
    const master = [...after].find(([port, keys]) => keys.length > (before.get(port)?.length ?? 0))?.[0];
    if (master === undefined) throw new Error('the budget keys were not found on any master');
    return { client, master };
  }

  it('behaves as in an outage while a SIGKILLed master has no replacement, then heals without a restart once its replica takes over [gate:1.1.2]', async () => {
    const { topology: cluster, a, b } = pair;
    const { client, master: victim } = await clientOnSomeMaster();
    const user = await userWithLockoutOn(a, (key) => cluster.masterOf(key), victim);
    expect((await login(b, user)).status).toBe(200);
    const replicas = await cluster.replicasOf(victim);
    expect(replicas.length).toBeGreaterThanOrEqual(1);

    await expectOutageThenHeal([a, b], user, client, {
      what: 'cluster',
      hold: (on) => cluster.holdFailover(replicas, on),
      kill: () => cluster.kill(victim),
    });
  });

  it('heals both instances without a restart when a master is SIGKILLed mid-traffic and its replica takes over at once; shared limit and lockout after [gate:1.1.2] [gate:1.1.7]', async () => {
    const { topology: cluster, a, b } = pair;
    await cluster.waitHealthy();
    let victim: number | undefined;
    let client = '';
    for (let i = 0; i < 30 && victim === undefined; i++) {
      const found = await clientOnSomeMaster();
      if ((await cluster.replicasOf(found.master)).length > 0) ({ client, master: victim } = found);
    }
    expect(victim).toBeDefined();
    const user = await userWithLockoutOn(a, (key) => cluster.masterOf(key), victim!);

    await expectHealAfterKill([a, b], user, client, { what: 'cluster', kill: () => cluster.kill(victim!) });

    // Healed means the shared state works again: one limit and one lockout across both instances.
    await cluster.waitHealthy();
    expect(await cluster.masterPorts()).not.toContain(victim);
    expectSharedLimit(await burst(a, b, newClient(), SHARED_LIMIT * 2));
    const anyMaster = must((await cluster.masterPorts())[0], 'a master');
    await expectSharedLockout(a, b, await userWithLockoutOn(a, (key) => cluster.masterOf(key), anyMaster));
  });

  describe('boot-time check', () => {
    it('refuses to start with a wrong password, saying why without the secret', async () => {
      const wrong = 'Wr0ng-' + pair.topology.password.slice(6);
      const refusal = await bootRefusal({ ...pair.variables(), REDIS_URL: pair.topology.url(wrong) });
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/authentication failed/);
      expect((refusal as Error).message).not.toContain(wrong);
    });

    it('refuses to start in cluster mode against a server that is not a cluster node', async () => {
      const plain = await PrivateRedis.start();
      try {
        const refusal = await bootRefusal({ REDIS_MODE: 'cluster', REDIS_URL: plain.url() });
        expect(refusal).toBeInstanceOf(RedisBootError);
        expect((refusal as Error).message).toMatch(/not a cluster node|cluster is down|unreachable/);
      } finally {
        await plain.destroy();
      }
    });
  });

  describe('cost per request, beside standalone', () => {
    let standalone: PrivateRedis;
    let single: TestApp;
    beforeAll(async () => {
      standalone = await PrivateRedis.start();
      single = await startApp(
        { REDIS_URL: standalone.url(), TRUST_PROXY: '127.0.0.1' },
        { imports: [RateLimitProbeModule] },
      );
    });
    afterAll(async () => {
      await single?.close();
      await standalone?.destroy();
    });

    /** The commands sent over the wire (script-internal and housekeeping calls excluded). */
    const roundTrips = (commands: { args: string[]; source: string }[]): string[] =>
      commands
        .filter(
          (c) =>
            c.source !== 'lua' &&
            !/^(cluster|info|ping|command|client|auth|hello|select|readonly)$/i.test(c.args[0] ?? ''),
        )
        .map((c) => (c.args[0] ?? '').toLowerCase());

    async function timed(gw: TestApp): Promise<number> {
      const started = process.hrtime.bigint();
      const res = await http(gw.url, 'POST', '/v1/auth/probe-login', {
        body: {},
        headers: { 'x-forwarded-for': newClient() },
      });
      expect(res.status).toBe(200);
      return Number(process.hrtime.bigint() - started) / 1e6;
    }

    const p50 = (values: number[]): number =>
      must([...values].sort((x, y) => x - y)[Math.floor(values.length / 2)], 'a sample');

    it('makes the same Redis round trips per request as standalone (one script call per slot, no redirects)', async () => {
      const { topology: cluster, a } = pair;
      const requests = 100;
      // Warm up first: a master promoted by the failover tests above does not have the rate-limit
      // script cached yet, and its first call costs a NOSCRIPT answer plus an EVAL. Each request
      // comes from a new client, so 60 of them reach every master (all three miss-free: 1 - 3e-10).
      for (let i = 0; i < 60; i++) {
        await timed(single);
        await timed(a);
      }
      const onCluster = await CommandMonitor.start((await cluster.masterPorts()).map((port) => cluster.nodeUrl(port)));
      const onStandalone = await CommandMonitor.start([standalone.url()]);
      const latency = { cluster: [] as number[], standalone: [] as number[] };
      let commands: { cluster: string[]; standalone: string[] };
      try {
        // Interleaved, so both modes see the same machine load. Each monitor counts exactly what its
        // servers ran between two markers, so nothing of the warm-up and nothing late is counted.
        let clusterSeen: Awaited<ReturnType<CommandMonitor['during']>> = [];
        const standaloneSeen = await onStandalone.during(async () => {
          clusterSeen = await onCluster.during(async () => {
            for (let i = 0; i < requests; i++) {
              latency.standalone.push(await timed(single));
              latency.cluster.push(await timed(a));
            }
          });
        });
        commands = { cluster: roundTrips(clusterSeen), standalone: roundTrips(standaloneSeen) };
      } finally {
        onCluster.stop();
        onStandalone.stop();
      }
      const perRequest = {
        cluster: commands.cluster.length / requests,
        standalone: commands.standalone.length / requests,
      };
      console.log(
        `Redis cost per auth-route request (2 named limits), ${requests} interleaved sequential requests:\n` +
          `  standalone: ${perRequest.standalone} round trips, p50 ${p50(latency.standalone).toFixed(2)} ms\n` +
          `  cluster:    ${perRequest.cluster} round trips, p50 ${p50(latency.cluster).toFixed(2)} ms`,
      );
      const tally = (list: string[]): Record<string, number> =>
        list.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
      console.log(
        `commands: standalone ${JSON.stringify(tally(commands.standalone))}, cluster ${JSON.stringify(tally(commands.cluster))}`,
      );
      // One script call per request in both modes. A fresh-clone CI run saw 2 extra commands in 100
      // requests on the cluster (not yet attributed; MOVED/ASK redirects would be many more), so
      // the bound allows a few such one-off commands, not a second round trip per request.
      expect(perRequest.standalone).toBe(1);
      expect(perRequest.cluster).toBeGreaterThanOrEqual(1);
      expect(perRequest.cluster).toBeLessThanOrEqual(1.1);
    });
  });
});

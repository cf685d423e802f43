import Redis from 'ioredis';
import { createApp } from '../../src/app.factory';
import { RedisBootError } from '../../src/redis/redis-connection';
import { http, startApp, TestApp } from '../helpers/app';
import { testEnv } from '../helpers/env';
import { PrivateRedis } from '../helpers/processes';
import { RedisClusterTopology } from '../helpers/redis-topologies';
import { RateLimitProbeModule } from '../rate-limit/rate-limit-probe.module';
import {
  burst,
  createUserWithEmail,
  describeHeal,
  driveUntilHealed,
  expectHealed,
  expectOutage,
  expectDuplicateAndScriptsWork,
  expectSharedLimit,
  expectSharedLockout,
  login,
  newClient,
  SHARED_LIMIT,
  startPair,
  userWithLockoutOn,
} from './topology-scenarios';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(120000);

describe('Redis Cluster (3 masters, 3 replicas, on loopback)', () => {
  let cluster: RedisClusterTopology;
  let a: TestApp;
  let b: TestApp;
  const variables = (): Record<string, string> => ({
    REDIS_MODE: 'cluster',
    REDIS_URL: cluster.url(),
    REDIS_CLUSTER_NODES: cluster.seedNodes(),
  });

  beforeAll(async () => {
    cluster = await RedisClusterTopology.start();
    [a, b] = await startPair(variables());
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cluster?.destroy();
  });

  /** Every key of the pair's prefix, by the master that holds it. */
  async function keysByMaster(): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    for (const port of await cluster.masterPorts())
      out.set(port, await cluster.keysOn(port, `${a.env.REDIS_KEY_PREFIX}*`));
    return out;
  }

  it('is ready, with every master answering', async () => {
    const ready = await http(a.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ info: { redis: { status: 'up' }, rateLimit: { store: 'redis' } } });
  });

  it('shares one limit across both instances: a concurrent burst gets exactly the limit in 200s', async () => {
    expectSharedLimit(await burst(a, b, newClient(), SHARED_LIMIT * 3));
  });

  it('spreads the keys over the masters, each budget and lockout key in one slot of one master', async () => {
    for (let i = 0; i < 12; i++) expectSharedLimit(await burst(a, b, newClient(), SHARED_LIMIT + 1));
    const byMaster = await keysByMaster();
    expect([...byMaster.values()].filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
    // No key lives anywhere but on the master of its own slot (no CROSSSLOT, no misplaced writes).
    for (const [port, keys] of byMaster) for (const key of keys) expect(await cluster.masterOf(key)).toBe(port);
  });

  it('gives a duplicate() connection (for subscribers) and scripts the same topology', async () => {
    await expectDuplicateAndScriptsWork(a);
  });

  it('shares one lockout across both instances', async () => {
    await expectSharedLockout(a, b, await createUserWithEmail(a, `${newClient()}-lock@example.test`));
  });

  /** A fresh client whose budget lives on one master (found by the keys its first request creates). */
  async function clientOnSomeMaster(): Promise<{ client: string; master: number }> {
    const before = await keysByMaster();
    const client = newClient();
    expect((await http(a.url, 'GET', '/v1/limited', { headers: { 'x-forwarded-for': client } })).status).toBe(200);
    const after = await keysByMaster();
    const master = [...after].find(([port, keys]) => keys.length > (before.get(port)?.length ?? 0))?.[0];
    if (master === undefined) throw new Error('the budget keys were not found on any master');
    return { client, master };
  }

  it('behaves as in an outage while a SIGKILLed master has no replacement, then heals without a restart once its replica takes over', async () => {
    const { client, master: victim } = await clientOnSomeMaster();
    const user = await userWithLockoutOn(a, (key) => cluster.masterOf(key), victim);
    expect((await login(b, user)).status).toBe(200);
    const replicas = await cluster.replicasOf(victim);
    expect(replicas.length).toBeGreaterThanOrEqual(1);

    await cluster.holdFailover(replicas, true);
    await cluster.kill(victim);
    const killedAt = Date.now();
    await Promise.all([a, b].map((gw) => expectOutage(gw, user, client)));

    await cluster.holdFailover(replicas, false);
    const releasedAt = Date.now();
    const heals = await Promise.all([a, b].map((gw) => driveUntilHealed(gw, user, client, releasedAt)));
    console.log(
      `${describeHeal('cluster, from the failover release', heals)}\n(the master was killed ${releasedAt - killedAt} ms before the release)`,
    );
    for (const heal of heals) expectHealed(heal);
  });

  it('heals both instances without a restart when a master is SIGKILLed mid-traffic and its replica takes over at once; shared limit and lockout after', async () => {
    await cluster.waitHealthy();
    let victim: number | undefined;
    let client = '';
    for (let i = 0; i < 30 && victim === undefined; i++) {
      const found = await clientOnSomeMaster();
      if ((await cluster.replicasOf(found.master)).length > 0) ({ client, master: victim } = found);
    }
    expect(victim).toBeDefined();
    const user = await userWithLockoutOn(a, (key) => cluster.masterOf(key), victim!);

    await cluster.kill(victim!);
    const killedAt = Date.now();
    const heals = await Promise.all([a, b].map((gw) => driveUntilHealed(gw, user, client, killedAt)));
    console.log(describeHeal('cluster, from the kill', heals));
    for (const heal of heals) expectHealed(heal);

    // Healed means the shared state works again: one limit and one lockout across both instances.
    await cluster.waitHealthy();
    expect(await cluster.masterPorts()).not.toContain(victim);
    expectSharedLimit(await burst(a, b, newClient(), SHARED_LIMIT * 2));
    const [anyMaster] = await cluster.masterPorts();
    await expectSharedLockout(a, b, await userWithLockoutOn(a, (key) => cluster.masterOf(key), anyMaster));
  });

  describe('boot-time check', () => {
    it('refuses to start with a wrong password, saying why without the secret', async () => {
      const wrong = 'Wr0ng-' + cluster.password.slice(6);
      const env = testEnv({ ...variables(), REDIS_URL: cluster.url(wrong) });
      const refusal = await createApp(env).then(
        async (app) => (await app.close(), undefined),
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/authentication failed/);
      expect((refusal as Error).message).not.toContain(wrong);
    });

    it('refuses to start in cluster mode against a server that is not a cluster node', async () => {
      const plain = await PrivateRedis.start();
      try {
        const env = testEnv({ REDIS_MODE: 'cluster', REDIS_URL: plain.url() });
        const refusal = await createApp(env).then(
          async (app) => (await app.close(), undefined),
          (error: unknown) => error,
        );
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

    /** Counts the commands sent over the wire to `ports` (MONITOR; script-internal and housekeeping calls excluded). */
    async function monitorAll(
      ports: { port: number; password?: string }[],
    ): Promise<{ commands: string[]; stop: () => void }> {
      const commands: string[] = [];
      const clients = ports.map(({ port, password }) => new Redis({ host: '127.0.0.1', port, password }));
      const monitors = await Promise.all(clients.map((client) => client.monitor()));
      for (const monitor of monitors)
        monitor.on('monitor', (_time: string, args: string[], source: string) => {
          if (source !== 'lua' && !/^(cluster|info|ping|command|client|auth|hello|select|readonly)$/i.test(args[0]))
            commands.push(args[0].toLowerCase());
        });
      return {
        commands,
        stop: () => [...monitors, ...clients].forEach((client) => client.disconnect()),
      };
    }

    async function timed(gw: TestApp): Promise<number> {
      const started = process.hrtime.bigint();
      const res = await http(gw.url, 'POST', '/v1/auth/probe-login', {
        body: {},
        headers: { 'x-forwarded-for': newClient() },
      });
      expect(res.status).toBe(200);
      return Number(process.hrtime.bigint() - started) / 1e6;
    }

    const p50 = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

    it('makes the same Redis round trips per request as standalone (one script call per slot, no redirects)', async () => {
      const requests = 100;
      // Warm up first: a master promoted by the failover tests above does not have the rate-limit
      // script cached yet, and its first call costs a NOSCRIPT answer plus an EVAL. Each request
      // comes from a new client, so 60 of them reach every master (all three miss-free: 1 - 3e-10).
      for (let i = 0; i < 60; i++) {
        await timed(single);
        await timed(a);
      }
      const onCluster = await monitorAll(
        (await cluster.masterPorts()).map((port) => ({ port, password: cluster.password })),
      );
      const onStandalone = await monitorAll([{ port: standalone.port }]);
      const latency = { cluster: [] as number[], standalone: [] as number[] };
      try {
        await sleep(200);
        // Interleaved, so both modes see the same machine load.
        for (let i = 0; i < requests; i++) {
          latency.standalone.push(await timed(single));
          latency.cluster.push(await timed(a));
        }
        await sleep(300); // MONITOR output is asynchronous
      } finally {
        onCluster.stop();
        onStandalone.stop();
      }
      const perRequest = {
        cluster: onCluster.commands.length / requests,
        standalone: onStandalone.commands.length / requests,
      };
      console.log(
        `Redis cost per auth-route request (2 named limits), ${requests} interleaved sequential requests:\n` +
          `  standalone: ${perRequest.standalone} round trips, p50 ${p50(latency.standalone).toFixed(2)} ms\n` +
          `  cluster:    ${perRequest.cluster} round trips, p50 ${p50(latency.cluster).toFixed(2)} ms`,
      );
      const tally = (commands: string[]): Record<string, number> =>
        commands.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
      console.log(
        `commands: standalone ${JSON.stringify(tally(onStandalone.commands))}, cluster ${JSON.stringify(tally(onCluster.commands))}`,
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

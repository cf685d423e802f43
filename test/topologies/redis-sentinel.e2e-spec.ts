import { createApp } from '../../src/app.factory';
import { RedisBootError } from '../../src/redis/redis-connection';
import { http, TestApp } from '../helpers/app';
import { testEnv } from '../helpers/env';
import { RedisSentinelTopology } from '../helpers/redis-topologies';
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
} from './topology-scenarios';

jest.setTimeout(120000);

/** The error createApp refused with, or undefined if it started (then it is closed again). */
async function bootRefusal(variables: Record<string, string>): Promise<unknown> {
  return createApp(testEnv(variables)).then(
    async (app) => {
      await app.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('Redis Sentinel (1 master, 1 replica, 3 sentinels, on loopback)', () => {
  let topology: RedisSentinelTopology;
  let a: TestApp;
  let b: TestApp;
  const variables = (): Record<string, string> => ({
    REDIS_MODE: 'sentinel',
    REDIS_URL: topology.url(),
    REDIS_SENTINELS: topology.sentinelList(),
    REDIS_SENTINEL_MASTER: topology.masterName,
    REDIS_SENTINEL_PASSWORD: topology.sentinelPassword,
  });

  beforeAll(async () => {
    topology = await RedisSentinelTopology.start();
    [a, b] = await startPair(variables());
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await topology?.destroy();
  });

  it('is ready, talking to the master the sentinels name', async () => {
    const ready = await http(a.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ info: { redis: { status: 'up' }, rateLimit: { store: 'redis' } } });
  });

  it('shares one limit across both instances: a concurrent burst gets exactly the limit in 200s', async () => {
    expectSharedLimit(await burst(a, b, newClient(), SHARED_LIMIT * 3));
  });

  it('gives a duplicate() connection (for subscribers) and scripts the same topology', async () => {
    await expectDuplicateAndScriptsWork(a);
  });

  it('shares one lockout across both instances', async () => {
    await expectSharedLockout(a, b, await createUserWithEmail(a, `${newClient()}-lock@example.test`));
  });

  it('behaves as in an outage while the SIGKILLed primary has no replacement, then heals without a restart once the replica is promoted', async () => {
    const user = await createUserWithEmail(a, `${newClient()}-held@example.test`);
    const client = newClient();
    expect((await login(b, user)).status).toBe(200);
    const primary = await topology.masterPort();

    await topology.holdFailover(true);
    await topology.kill(primary);
    const killedAt = Date.now();
    await Promise.all([a, b].map((gw) => expectOutage(gw, user, client)));

    await topology.holdFailover(false);
    const releasedAt = Date.now();
    const heals = await Promise.all([a, b].map((gw) => driveUntilHealed(gw, user, client, releasedAt)));
    console.log(
      `${describeHeal('sentinel, from the failover release', heals)}\n(the primary was killed ${releasedAt - killedAt} ms before the release)`,
    );
    for (const heal of heals) expectHealed(heal);
    expect(await topology.masterPort()).not.toBe(primary);

    // The old primary comes back empty; the sentinels make it the new primary's replica.
    await topology.restart(primary);
    await topology.waitHealthy();
  });

  it('heals both instances without a restart when the primary is SIGKILLed mid-traffic and promoted at once; shared limit and lockout after', async () => {
    const user = await createUserWithEmail(a, `${newClient()}-free@example.test`);
    const client = newClient();
    const primary = await topology.masterPort();

    await topology.kill(primary);
    const killedAt = Date.now();
    const heals = await Promise.all([a, b].map((gw) => driveUntilHealed(gw, user, client, killedAt)));
    console.log(describeHeal('sentinel, from the kill', heals));
    for (const heal of heals) expectHealed(heal);

    expect(await topology.masterPort()).not.toBe(primary);
    expectSharedLimit(await burst(a, b, newClient(), SHARED_LIMIT * 2));
    await expectSharedLockout(a, b, await createUserWithEmail(a, `${newClient()}-after@example.test`));
  });

  describe('boot-time check', () => {
    it('refuses to start with a wrong data password, saying why without the secret', async () => {
      const wrong = 'Wr0ng-' + topology.password.slice(6);
      const refusal = await bootRefusal({ ...variables(), REDIS_URL: topology.url(wrong) });
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/authentication failed/);
      expect((refusal as Error).message).not.toContain(wrong);
    });

    it('refuses to start with a wrong sentinel password', async () => {
      const wrong = 'Wr0ng-' + topology.sentinelPassword.slice(6);
      const refusal = await bootRefusal({ ...variables(), REDIS_SENTINEL_PASSWORD: wrong });
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/sentinel authentication failed/);
      expect((refusal as Error).message).not.toContain(wrong);
    });

    it('refuses to start with a master name the sentinels do not know', async () => {
      const refusal = await bootRefusal({ ...variables(), REDIS_SENTINEL_MASTER: 'not-monitored' });
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/no master named not-monitored/);
    });
  });
});

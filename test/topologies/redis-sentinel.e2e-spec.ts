import { RedisBootError } from '../../src/platform/redis/redis-connection';
import { createUser } from '../auth/fixtures';
import { RedisSentinelTopology } from '../helpers/redis-topologies';
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
} from './topology-scenarios';

jest.setTimeout(120000);

describe('Redis Sentinel (1 master, 1 replica, 3 sentinels, on loopback)', () => {
  const pair = describeTopologyPair({
    start: () => RedisSentinelTopology.start(),
    variables: (topology) => ({
      REDIS_MODE: 'sentinel',
      REDIS_URL: topology.url(),
      REDIS_SENTINELS: topology.sentinelList(),
      REDIS_SENTINEL_MASTER: topology.masterName,
      REDIS_SENTINEL_PASSWORD: topology.sentinelPassword,
    }),
    readyWhen: 'talking to the master the sentinels name',
  });

  it('behaves as in an outage while the SIGKILLed primary has no replacement, then heals without a restart once the replica is promoted [gate:1.1.2]', async () => {
    const { topology, a, b } = pair;
    const user = await createUser(a);
    const client = newClient();
    expect((await login(b, user)).status).toBe(200);
    const primary = await topology.masterPort();

    await expectOutageThenHeal([a, b], user, client, {
      what: 'sentinel',
      hold: (on) => topology.holdFailover(on),
      kill: () => topology.kill(primary),
      describe: () => topology.describe(),
    });
    expect(await topology.masterPort()).not.toBe(primary);

    // The old primary comes back empty; the sentinels make it the new primary's replica.
    await topology.restart(primary);
    await topology.waitHealthy();
  });

  it('heals both instances without a restart when the primary is SIGKILLed mid-traffic and promoted at once; shared limit and lockout after [gate:1.1.2] [gate:1.1.7]', async () => {
    const { topology, a, b } = pair;
    const user = await createUser(a);
    const client = newClient();
    const primary = await topology.masterPort();

    await expectHealAfterKill([a, b], user, client, {
      what: 'sentinel',
      kill: () => topology.kill(primary),
      describe: () => topology.describe(),
    });

    expect(await topology.masterPort()).not.toBe(primary);
    expectSharedLimit(await burst(a, b, newClient(), SHARED_LIMIT * 2));
    await expectSharedLockout(a, b, await createUser(a));
  });

  describe('boot-time check', () => {
    it('refuses to start with a wrong data password, saying why without the secret', async () => {
      const wrong = 'Wr0ng-' + pair.topology.password.slice(6);
      const refusal = await bootRefusal({ ...pair.variables(), REDIS_URL: pair.topology.url(wrong) });
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/authentication failed/);
      expect((refusal as Error).message).not.toContain(wrong);
    });

    it('refuses to start with a wrong sentinel password', async () => {
      const wrong = 'Wr0ng-' + pair.topology.sentinelPassword.slice(6);
      const refusal = await bootRefusal({ ...pair.variables(), REDIS_SENTINEL_PASSWORD: wrong });
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/sentinel authentication failed/);
      expect((refusal as Error).message).not.toContain(wrong);
    });

    it('refuses to start with a master name the sentinels do not know', async () => {
      const refusal = await bootRefusal({ ...pair.variables(), REDIS_SENTINEL_MASTER: 'not-monitored' });
      expect(refusal).toBeInstanceOf(RedisBootError);
      expect((refusal as Error).message).toMatch(/no master named not-monitored/);
    });
  });
});

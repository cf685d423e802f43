import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { createApp } from '../../src/app.factory';
import { LockoutService } from '../../src/features/auth/lockout/lockout.service';
import { REDIS, type RedisClient } from '../../src/platform/redis/redis.constants';
import { UsersService } from '../../src/features/users/users.service';
import { sleep } from '../../tools/harness';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { testEnv } from '../helpers/env';
import { countSocketWrites, redisSocket } from '../helpers/socket-writes';
import { getStorageToken } from '@nestjs/throttler';
import { FallbackThrottlerStorage } from '../../src/platform/rate-limit/fallback-throttler.storage';
import { createdUser, createUser, randomPassword, TestUser } from '../auth/fixtures';
import { RateLimitProbeModule } from '../rate-limit/rate-limit-probe.module';

/**
 * The longest a gateway may take, after a master is SIGKILLed, to log a user in again with no
 * restart (documented in docs/scaling.md). The topologies promote a replica after about 1-3 s
 * (1 s node timeout / down-after); the rest is slack for a loaded CI machine.
 */
export const HEAL_BOUND_MS = 30000;

/** The shared global limit of the two instances in these suites. */
export const SHARED_LIMIT = 20;

let clientCounter = 0;
/** A client address of its own (the instances trust X-Forwarded-For from the loopback test client). */
export function newClient(): string {
  clientCounter += 1;
  return `198.51.${100 + Math.floor(clientCounter / 250)}.${clientCounter % 250}`;
}

const asClient = (client: string): { headers: Record<string, string> } => ({
  headers: { 'x-forwarded-for': client },
});

/**
 * Where an instance's rate limiter counts. Readiness does not show it; it is read in-process rather
 * than from the metrics listener, which these suites do not start.
 */
const rateLimitStore = (gw: TestApp): string => gw.app.get<FallbackThrottlerStorage>(getStorageToken()).store;

/** Two gateway instances on one Redis topology, sharing one key prefix (one set of limits and lockouts). */
async function startPair(variables: Record<string, string>): Promise<[TestApp, TestApp]> {
  const common = {
    ...variables,
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_GLOBAL_LIMIT: String(SHARED_LIMIT),
    LOCKOUT_THRESHOLD: '3',
    LOCKOUT_DURATION_SECONDS: '60',
  };
  const a = await startApp(common, { imports: [RateLimitProbeModule] });
  try {
    // One deployment: the same key space and the same secrets (the lockout key is an HMAC of the email).
    const shared = {
      REDIS_KEY_PREFIX: a.env.REDIS_KEY_PREFIX,
      REFRESH_TOKEN_PEPPER: a.env.REFRESH_TOKEN_PEPPER,
      JWT_ACCESS_SECRET: a.env.JWT_ACCESS_SECRET,
    };
    const b = await startApp({ ...common, ...shared }, { imports: [RateLimitProbeModule] });
    return [a, b];
  } catch (error) {
    await a.close();
    throw error;
  }
}

async function createUserWithEmail(gw: TestApp, email: string): Promise<TestUser> {
  const password = randomPassword();
  const created = createdUser(await gw.app.get(UsersService).create({ email, password, role: 'user' }));
  return { id: created.id, email, password, role: 'user' };
}

export const login = (
  gw: TestApp,
  user: { email: string; password: string },
  client = newClient(),
): Promise<HttpResult> =>
  http(gw.url, 'POST', '/v1/auth/login', { body: { email: user.email, password: user.password }, ...asClient(client) });

/** A concurrent burst of `total` requests from one client, alternating between the two instances. */
export async function burst(a: TestApp, b: TestApp, client: string, total: number): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: total }, (_, i) => http(i % 2 ? b.url : a.url, 'GET', '/v1/limited', asClient(client))),
  );
  return results.map((r) => r.status);
}

export function expectSharedLimit(statuses: number[]): void {
  expect({
    ok: statuses.filter((s) => s === 200).length,
    limited: statuses.filter((s) => s === 429).length,
    other: statuses.filter((s) => s !== 200 && s !== 429),
  }).toEqual({ ok: SHARED_LIMIT, limited: statuses.length - SHARED_LIMIT, other: [] });
}

/**
 * Three failures from one client, spread over both instances, lock that client out of the account
 * on both, even with the right password; another client still logs in (the lock is per client).
 */
export async function expectSharedLockout(a: TestApp, b: TestApp, user: TestUser): Promise<void> {
  const client = newClient();
  const wrong = { email: user.email, password: 'wrong-password!' };
  const statuses = [
    (await login(a, wrong, client)).status,
    (await login(b, wrong, client)).status,
    (await login(a, wrong, client)).status,
  ];
  expect(statuses).toEqual([401, 401, 401]);
  expectProblem(await login(b, user, client), 423, 'ACCOUNT_LOCKED');
  expectProblem(await login(a, user, client), 423, 'ACCOUNT_LOCKED');
  expect((await login(b, user, newClient())).status).toBe(200);
}

/** A user whose lockout key the topology places on `port` (cluster: the master about to be killed). */
export async function userWithLockoutOn(
  gw: TestApp,
  masterOf: (key: string) => Promise<number>,
  port: number,
): Promise<TestUser> {
  const lockout = gw.app.get(LockoutService);
  for (let i = 0; i < 200; i++) {
    const email = `${randomUUID()}@example.test`;
    if ((await masterOf(gw.env.REDIS_KEY_PREFIX + lockout.keys.accountKeys(email).all)) === port) {
      return createUserWithEmail(gw, email);
    }
  }
  throw new Error(`no lockout key found on port ${port}`);
}

interface Sample {
  at: number;
  limited: number;
  login: number;
  loginCode?: unknown;
  ready: number;
  store?: string;
  live: number;
}

/**
 * One round against one instance: a login, a limited request, a readiness and a liveness probe, at
 * once, then where the limiter counts.
 */
async function round(gw: TestApp, user: TestUser, client: string, since: number): Promise<Sample> {
  const [signIn, limited, ready, live] = await Promise.all([
    login(gw, user),
    http(gw.url, 'GET', '/v1/limited', asClient(client)),
    http(gw.url, 'GET', '/health/ready'),
    http(gw.url, 'GET', '/health/live'),
  ]);
  const store = rateLimitStore(gw);
  return {
    at: Date.now() - since,
    login: signIn.status,
    loginCode: signIn.body?.code,
    limited: limited.status,
    ready: ready.status,
    store,
    live: live.status,
  };
}

/** Nothing but the documented answers, whatever the phase: never a 500. */
function expectOnlyDocumentedAnswers(samples: Sample[]): void {
  expect(samples.filter((s) => s.live !== 200)).toEqual([]);
  expect(samples.filter((s) => ![200, 503].includes(s.ready))).toEqual([]);
  expect(samples.filter((s) => ![200, 429].includes(s.limited))).toEqual([]);
  expect(
    samples.filter((s) => !(s.login === 200 || (s.login === 503 && s.loginCode === 'SERVICE_UNAVAILABLE'))),
  ).toEqual([]);
}

/**
 * While a killed master's slots (or the primary) have no replacement yet, an instance behaves as in
 * a Redis outage: readiness 503, liveness 200, login 503 SERVICE_UNAVAILABLE, and the limiter
 * answering from its memory fallback (200/429, never a 500). `rounds` rounds are observed.
 */
async function expectOutage(gw: TestApp, user: TestUser, client: string, rounds = 3): Promise<void> {
  const samples: Sample[] = [];
  const since = Date.now();
  for (let i = 0; i < rounds; i++) samples.push(await round(gw, user, client, since));
  expectOnlyDocumentedAnswers(samples);
  expect(samples.map((s) => [s.ready, s.login])).toEqual(samples.map(() => [503, 503]));
  expect(samples.some((s) => s.store === 'memory-fallback')).toBe(true);
}

interface InstanceHeal {
  /** Time from `since` to the first 200 from /v1/auth/login. */
  firstLoginMs: number;
  /** Time from `since` to the first readiness 200 with the limiter back on the shared Redis. */
  readyMs: number;
  samples: Sample[];
}

/**
 * Drives one instance with rounds (about every 50 ms) from `since` until it has logged `user` in
 * and been ready on the shared store again, or HEAL_BOUND_MS passed.
 */
async function driveUntilHealed(gw: TestApp, user: TestUser, client: string, since: number): Promise<InstanceHeal> {
  const samples: Sample[] = [];
  let firstLoginMs = -1;
  let readyMs = -1;
  while ((firstLoginMs < 0 || readyMs < 0) && Date.now() - since < HEAL_BOUND_MS) {
    const sample = await round(gw, user, client, since);
    samples.push(sample);
    if (sample.login === 200 && firstLoginMs < 0) firstLoginMs = sample.at;
    if (sample.ready === 200 && sample.store === 'redis' && readyMs < 0) readyMs = sample.at;
    await sleep(50);
  }
  return { firstLoginMs, readyMs, samples };
}

/** Healed within HEAL_BOUND_MS, without a restart, and only documented answers on the way. */
function expectHealed(heal: InstanceHeal): void {
  expectOnlyDocumentedAnswers(heal.samples);
  expect({ loggedIn: heal.firstLoginMs >= 0, ready: heal.readyMs >= 0 }).toEqual({ loggedIn: true, ready: true });
}

function describeHeal(what: string, heals: InstanceHeal[]): string {
  return heals
    .map(
      (h, i) =>
        `${what}, instance ${i + 1}: first login after ${h.firstLoginMs} ms, ready on the shared store after ${h.readyMs} ms (${h.samples.length} rounds; bound ${HEAL_BOUND_MS} ms)`,
    )
    .join('\n');
}

/**
 * What a second connection of the gateway needs in every mode (e.g. a pub/sub subscriber made with
 * `duplicate()`): it connects to the same topology, receives what the shared client publishes, and
 * the shared client runs scripts (`defineCommand` / EVAL) on the topology.
 */
async function expectDuplicateAndScriptsWork(gw: TestApp): Promise<void> {
  const shared = gw.app.get<RedisClient>(REDIS);
  const subscriber = shared.duplicate();
  try {
    await subscriber.connect();
    const channel = `${gw.env.REDIS_KEY_PREFIX}topology-check:${randomUUID()}`;
    const received = new Promise<string>((resolve) =>
      subscriber.on('message', (_channel: string, m: string) => resolve(m)),
    );
    await subscriber.subscribe(channel);
    // (In a cluster PUBLISH counts only the receiving node's subscribers: the message itself is the proof.)
    await shared.publish(channel, 'hello');
    expect(await received).toBe('hello');
    const key = `{topology-check:${randomUUID()}}`;
    expect(await shared.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, key, '41')).toBe(41);
    expect(await shared.eval("return redis.call('INCR', KEYS[1])", 1, key)).toBe(42);
    await shared.del(key);
  } finally {
    subscriber.disconnect();
  }
}

/**
 * The gateway's client sends the commands issued in one turn of the event loop in one write to
 * the server that serves them (a Cluster's master of their slot, the Sentinel's master), and every
 * command gets its own reply.
 */
async function expectOneWritePerTurn(gw: TestApp): Promise<void> {
  const shared = gw.app.get<RedisClient>(REDIS);
  const connections = shared instanceof Cluster ? shared.nodes('master') : [shared];
  const writes = countSocketWrites(connections.map(redisSocket));
  const tag = `{turn-check:${randomUUID()}}`;
  try {
    const replies = Array.from({ length: 10 }, (_, i) => shared.incrby(`${tag}:${i}`, i + 1));
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect({ writes: writes.writes, chunks: writes.chunks }).toEqual({ writes: 1, chunks: 10 });
  } finally {
    writes.stop();
    await shared.del(...Array.from({ length: 10 }, (_, i) => `${tag}:${i}`));
  }
}

/** A running Redis topology a pair of gateways can use. */
interface Topology {
  destroy(): Promise<void>;
}

/** The topology of a suite and its two gateway instances, filled in before the suite's first test. */
export interface TopologyPair<T extends Topology> {
  topology: T;
  a: TestApp;
  b: TestApp;
  /** The gateway variables that select this topology (REDIS_MODE, REDIS_URL, ...). */
  variables: () => Record<string, string>;
}

/**
 * What every topology suite shares: call it inside the suite's `describe`. It starts the topology
 * and two gateway instances on it before the suite (and stops them after), and registers the checks
 * every topology passes before its own tests run: ready, one shared limit, a working duplicate()
 * connection and scripts, one shared lockout.
 */
export function describeTopologyPair<T extends Topology>(options: {
  start: () => Promise<T>;
  variables: (topology: T) => Record<string, string>;
  /** How readiness is reached on this topology, for the first test's name. */
  readyWhen: string;
}): TopologyPair<T> {
  const pair = { variables: () => options.variables(pair.topology) } as TopologyPair<T>;
  beforeAll(async () => {
    pair.topology = await options.start();
    [pair.a, pair.b] = await startPair(pair.variables());
  });
  afterAll(async () => {
    await pair.a?.close();
    await pair.b?.close();
    await pair.topology?.destroy();
  });

  it(`is ready, ${options.readyWhen}`, async () => {
    const ready = await http(pair.a.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ info: { redis: { status: 'up' } } });
    expect(rateLimitStore(pair.a)).toBe('redis');
  });

  it('shares one limit across both instances: a concurrent burst gets exactly the limit in 200s', async () => {
    expectSharedLimit(await burst(pair.a, pair.b, newClient(), SHARED_LIMIT * 3));
  });

  it('gives a duplicate() connection (for subscribers) and scripts the same topology', async () => {
    await expectDuplicateAndScriptsWork(pair.a);
  });

  it('shares one lockout across both instances', async () => {
    await expectSharedLockout(pair.a, pair.b, await createUser(pair.a));
  });

  it('sends the commands of one event-loop turn in one write to the server that serves them', async () => {
    await expectOneWritePerTurn(pair.a);
  });

  return pair;
}

/** The error createApp refused with, or undefined if it started (then it is closed again). */
export async function bootRefusal(variables: Record<string, string>): Promise<unknown> {
  return createApp(testEnv(variables)).then(
    async (app) => {
      await app.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

/**
 * Logs the heal figures of both instances as `what`, and asserts that each healed. When one did
 * not, the topology's own view (`describe`) is logged first: a failover that never happened and a
 * gateway that did not follow one fail the same assertion.
 */
async function healReport(
  what: string,
  heals: InstanceHeal[],
  describe?: () => Promise<string>,
  note = '',
): Promise<void> {
  console.log(`${describeHeal(what, heals)}${note}`);
  if (describe && heals.some((h) => h.firstLoginMs < 0 || h.readyMs < 0)) {
    console.log(`${what}, not healed; the topology says:\n${await describe().catch((e: unknown) => String(e))}`);
  }
  for (const heal of heals) expectHealed(heal);
}

/**
 * A node is SIGKILLed while its failover is held: both instances behave as in an outage; once the
 * failover is released they heal without a restart (logged as `what`, from the release).
 */
export async function expectOutageThenHeal(
  [a, b]: [TestApp, TestApp],
  user: TestUser,
  client: string,
  steps: {
    what: string;
    hold: (on: boolean) => Promise<void>;
    kill: () => Promise<void>;
    /** The topology's view, logged when an instance did not heal. */
    describe?: () => Promise<string>;
  },
): Promise<void> {
  await steps.hold(true);
  await steps.kill();
  const killedAt = Date.now();
  await Promise.all([a, b].map((gw) => expectOutage(gw, user, client)));

  await steps.hold(false);
  const releasedAt = Date.now();
  const heals = await Promise.all([a, b].map((gw) => driveUntilHealed(gw, user, client, releasedAt)));
  await healReport(
    `${steps.what}, from the failover release`,
    heals,
    steps.describe,
    `\n(the node was killed ${releasedAt - killedAt} ms before the release)`,
  );
}

/** A node is SIGKILLed mid-traffic and replaced at once: both instances heal without a restart. */
export async function expectHealAfterKill(
  [a, b]: [TestApp, TestApp],
  user: TestUser,
  client: string,
  steps: { what: string; kill: () => Promise<void>; describe?: () => Promise<string> },
): Promise<void> {
  await steps.kill();
  const killedAt = Date.now();
  const heals = await Promise.all([a, b].map((gw) => driveUntilHealed(gw, user, client, killedAt)));
  await healReport(`${steps.what}, from the kill`, heals, steps.describe);
}

import Redis from 'ioredis';
import { LockoutService } from '../../src/features/auth/lockout/lockout.service';
import { expectProblem, HttpResult, startApp, TestApp } from '../helpers/app';
import { metricsUrl, scrape, Scrape } from '../helpers/metrics';
import { httpFrom } from '../helpers/source-address';
import { createSignedInUser, createUser, randomEmail, stableProblem, TestUser, TokenPair } from './fixtures';

/**
 * The three lockout counters against real client addresses: each request is sent from its own
 * loopback source address (127.0.0.x), so the gateway tells clients apart by the socket's peer
 * address exactly as in production without a proxy. No X-Forwarded-For anywhere.
 */
const WRONG = 'wrong-password!';

const login = (gw: TestApp, from: string, email: string, password: string): Promise<HttpResult> =>
  httpFrom(from, gw.url, 'POST', '/v1/auth/login', { body: { email, password } });

async function loginStatuses(gw: TestApp, from: string, email: string, password: string, times: number) {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await login(gw, from, email, password)).status);
  return statuses;
}

const delta = (after: Scrape, before: Scrape, name: string, labels: Record<string, string> = {}): number =>
  after.value(name, labels) - before.value(name, labels);

function expectRetryAfter(res: HttpResult, atMost: number): void {
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(atMost);
}

describe('credential attacks from real client addresses (threshold 3, account 30, client 20)', () => {
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({
      LOCKOUT_THRESHOLD: '3',
      LOCKOUT_DURATION_SECONDS: '600',
      LOCKOUT_ACCOUNT_THRESHOLD: '30',
      LOGIN_CLIENT_FAILURE_LIMIT: '20',
      METRICS_PORT: '0',
    });
  });
  afterAll(() => gw.close());

  it("an attacker locks only itself out: the owner's known client logs in throughout, and a new client too", async () => {
    const owner = await createUser(gw);
    const [ownerClient, attacker, newClient] = ['127.0.0.10', '127.0.0.11', '127.0.0.12'];
    expect((await login(gw, ownerClient, owner.email, owner.password)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      expectProblem(await login(gw, attacker, owner.email, WRONG), 401, 'INVALID_CREDENTIALS');
      expect((await login(gw, ownerClient, owner.email, owner.password)).status).toBe(200);
    }
    // The attacker is locked out, even with the right password; nobody else is.
    for (let i = 0; i < 5; i++) {
      const locked = await login(gw, attacker, owner.email, owner.password);
      expectProblem(locked, 423, 'ACCOUNT_LOCKED');
      expectRetryAfter(locked, 600);
      expect((await login(gw, ownerClient, owner.email, owner.password)).status).toBe(200);
    }
    expect((await login(gw, newClient, owner.email, owner.password)).status).toBe(200);
  });

  it('16 clients x 2 guesses close the account to a new client, but not to its known client', async () => {
    const owner = await createUser(gw);
    const known = '127.0.0.20';
    expect((await login(gw, known, owner.email, owner.password)).status).toBe(200);
    const before = await scrape(metricsUrl(gw));
    const statuses: number[] = [];
    for (let c = 0; c < 16; c++)
      statuses.push(...(await loginStatuses(gw, `127.0.0.${21 + c}`, owner.email, WRONG, 2)));
    // The 30th failure closes the account; the last two guessers are refused without a check.
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([423, 423]);

    const stranger = await login(gw, '127.0.0.40', owner.email, owner.password);
    expectProblem(stranger, 423, 'ACCOUNT_LOCKED');
    expectRetryAfter(stranger, 600);
    expect((await login(gw, known, owner.email, owner.password)).status).toBe(200);
    // The known client keeps its own per-client rule: a wrong password is a 401, not a 423.
    expectProblem(await login(gw, known, owner.email, WRONG), 401, 'INVALID_CREDENTIALS');
    expect((await login(gw, known, owner.email, owner.password)).status).toBe(200);

    const after = await scrape(metricsUrl(gw));
    expect(delta(after, before, 'gateway_login_attempts_total', { outcome: 'closed_to_unknown_client' })).toBe(3);
    expect(delta(after, before, 'gateway_account_lockouts_total', { scope: 'account' })).toBe(1);
    const events = gw.logs.filter((l) => l.event === 'login_lockout' && l.scope === 'account');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ account: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(gw.rawLogs()).not.toContain(owner.email);
  });

  it('one client failing across 20 accounts gets 429 on the credential routes only; other routes and clients are fine', async () => {
    const sprayer = '127.0.0.50';
    const bystander = '127.0.0.51';
    const victim = await createUser(gw);
    // A session of the sprayer's own, taken before it starts failing.
    const own = await createSignedInUser(gw);
    const session = (await login(gw, sprayer, own.email, own.password)).body as unknown as TokenPair;
    const before = await scrape(metricsUrl(gw));

    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await login(gw, sprayer, randomEmail(), 'Summer2024!')).status);
    expect(statuses.every((s) => s === 401)).toBe(true);

    // Every credential route refuses this client now, even the right password.
    const refused = [
      await login(gw, sprayer, victim.email, victim.password),
      await httpFrom(sprayer, gw.url, 'POST', '/v1/auth/refresh', { body: { refreshToken: session.refreshToken } }),
      await httpFrom(sprayer, gw.url, 'POST', '/v1/auth/logout', { body: { refreshToken: session.refreshToken } }),
    ];
    for (const res of refused) {
      expectProblem(res, 429, 'RATE_LIMITED');
      expectRetryAfter(res, 600);
    }
    // Its other routes work, and so does everyone else.
    const me = await httpFrom(sprayer, gw.url, 'GET', '/v1/auth/me', { token: session.accessToken });
    expect({ status: me.status, email: me.body.email }).toEqual({ status: 200, email: own.email });
    expect((await httpFrom(sprayer, gw.url, 'GET', '/health/live')).status).toBe(200);
    expect((await login(gw, bystander, victim.email, victim.password)).status).toBe(200);
    const refreshed = await httpFrom(bystander, gw.url, 'POST', '/v1/auth/refresh', {
      body: { refreshToken: session.refreshToken },
    });
    expect(refreshed.status).toBe(200);

    const after = await scrape(metricsUrl(gw));
    expect(delta(after, before, 'gateway_login_attempts_total', { outcome: 'client_limited' })).toBe(1);
    expect(delta(after, before, 'gateway_rate_limited_total', { limit: 'login_failures' })).toBe(3);
    expect(delta(after, before, 'gateway_account_lockouts_total', { scope: 'client' })).toBe(1);
    expect(gw.logs.filter((l) => l.event === 'login_lockout' && l.scope === 'client')).toHaveLength(1);
  });

  it('an unknown account locks like a real one: same answers, same sequence, one password check each', async () => {
    const real = await createUser(gw);
    const unknown = randomEmail();
    const before = await scrape(metricsUrl(gw));
    const realAnswers: HttpResult[] = [];
    const unknownAnswers: HttpResult[] = [];
    for (let i = 0; i < 4; i++) {
      realAnswers.push(await login(gw, '127.0.0.60', real.email, WRONG));
      unknownAnswers.push(await login(gw, '127.0.0.60', unknown, WRONG));
    }
    expect(realAnswers.map((r) => r.status)).toEqual([401, 401, 401, 423]);
    expect(unknownAnswers.map((r) => r.status)).toEqual([401, 401, 401, 423]);
    for (let i = 0; i < 4; i++)
      expect(stableProblem(unknownAnswers[i]!.body)).toEqual(stableProblem(realAnswers[i]!.body));
    expect(
      Math.abs(
        Number(unknownAnswers[3]!.headers.get('retry-after')) - Number(realAnswers[3]!.headers.get('retry-after')),
      ),
    ).toBeLessThanOrEqual(1);
    // Three argon2 verifications each (a dummy hash for the unknown one), none once locked.
    const after = await scrape(metricsUrl(gw));
    expect(delta(after, before, 'gateway_password_verifications_total')).toBe(6);
    // And another client is not locked out of either.
    expectProblem(await login(gw, '127.0.0.61', unknown, WRONG), 401, 'INVALID_CREDENTIALS');
  });
});

describe('admin unlock and parallel guesses (threshold 5, account 8, client 20)', () => {
  let gw: TestApp;
  let redis: Redis;
  let admin: TestUser & { token: string };
  beforeAll(async () => {
    gw = await startApp({
      LOCKOUT_THRESHOLD: '5',
      LOCKOUT_DURATION_SECONDS: '600',
      LOCKOUT_ACCOUNT_THRESHOLD: '8',
      LOGIN_CLIENT_FAILURE_LIMIT: '20',
      METRICS_PORT: '0',
    });
    redis = new Redis(gw.env.REDIS_URL, { lazyConnect: true });
    await redis.connect();
    admin = await createSignedInUser(gw, 'admin');
  });
  afterAll(async () => {
    redis.disconnect();
    await gw.close();
  });

  it('unlock clears every counter and lock of the account, for every client, and keeps known clients known', async () => {
    const user = await createUser(gw);
    const owner = '127.0.0.69';
    expect((await login(gw, owner, user.email, user.password)).status).toBe(200);
    // .70 locks itself out (5); .71 brings the account to 8: closed to unknown clients.
    expect(await loginStatuses(gw, '127.0.0.70', user.email, WRONG, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(await loginStatuses(gw, '127.0.0.71', user.email, WRONG, 3)).toEqual([401, 401, 401]);
    expectProblem(await login(gw, '127.0.0.70', user.email, user.password), 423, 'ACCOUNT_LOCKED');
    expectProblem(await login(gw, '127.0.0.72', user.email, user.password), 423, 'ACCOUNT_LOCKED');

    const unlock = await httpFrom('127.0.0.1', gw.url, 'POST', `/v1/admin/users/${user.id}/unlock`, {
      token: admin.token,
    });
    expect(unlock.status).toBe(204);
    const lockout = gw.app.get(LockoutService);
    const account = lockout.keys.accountKeys(user.email);
    const left = (await redis.keys(`${gw.env.REDIS_KEY_PREFIX}lockout:{*`)).filter((k) =>
      k.startsWith(`${gw.env.REDIS_KEY_PREFIX}${account.all.replace(/:all$/, '')}`),
    );
    // Only the owner's known-client marker is left of this account.
    expect(left).toEqual([`${gw.env.REDIS_KEY_PREFIX}${lockout.keys.attempt(user.email, owner).known}`]);
    for (const client of ['127.0.0.70', '127.0.0.71', '127.0.0.72', owner]) {
      expect({ client, status: (await login(gw, client, user.email, user.password)).status }).toEqual({
        client,
        status: 200,
      });
    }
  });

  it('50 parallel wrong guesses from one client have at most LOCKOUT_THRESHOLD (5) passwords verified', async () => {
    const user = await createUser(gw);
    const before = await scrape(metricsUrl(gw));
    const results = await Promise.all(Array.from({ length: 50 }, () => login(gw, '127.0.0.80', user.email, WRONG)));
    const after = await scrape(metricsUrl(gw));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    // The rest were refused before any password work: locked out (423), or over the client's
    // limit while parallel attempts still held their up-front count (429).
    expect(statuses.filter((s) => s !== 401 && s !== 423 && s !== 429)).toEqual([]);
    expect(delta(after, before, 'gateway_password_verifications_total')).toBe(5);
    expectProblem(await login(gw, '127.0.0.80', user.email, user.password), 423, 'ACCOUNT_LOCKED');
  });
});

describe('a login flood cannot refuse an account its owner (1 hashing slot, no shared queue, 1 kept place)', () => {
  const LANES = { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '0', PASSWORD_HASH_KNOWN_CLIENT_QUEUE: '1' };
  let gw: TestApp;
  beforeAll(async () => {
    gw = await startApp({ ...LANES, METRICS_PORT: '0' });
  });
  afterAll(() => gw.close());

  /**
   * Eight unknown clients guess at accounts that do not exist, each in a loop, until stopped: the
   * one hashing slot is taken nearly all the time and every other attempt is refused. Resolves
   * once the flood is being refused (the lanes are full).
   */
  async function startFlood(
    target: TestApp = gw,
  ): Promise<{ statuses: Record<number, number>; stop: () => Promise<void> }> {
    const statuses: Record<number, number> = {};
    let stopped = false;
    const attackers = Array.from({ length: 8 }, async (_, i) => {
      while (!stopped) {
        const { status } = await login(target, `127.0.0.${100 + i}`, randomEmail(), WRONG);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    });
    const stop = async (): Promise<void> => {
      stopped = true;
      await Promise.all(attackers);
    };
    while (!statuses[503]) await new Promise((resolve) => setTimeout(resolve, 5));
    return { statuses, stop };
  }

  it("the owner's known client signs in throughout a flood that gets 503s; a new client shares the flood's lane", async () => {
    const owner = await createUser(gw);
    const [ownerClient, newClient] = ['127.0.0.90', '127.0.0.91'];
    expect((await login(gw, ownerClient, owner.email, owner.password)).status).toBe(200);

    const { statuses: flood, stop } = await startFlood();
    try {
      const owners: number[] = [];
      const newcomers: number[] = [];
      for (let i = 0; i < 8; i++) {
        owners.push((await login(gw, ownerClient, owner.email, owner.password)).status);
        newcomers.push((await login(gw, newClient, owner.email, owner.password)).status);
      }
      // The owner's client takes the place kept for known clients: never refused.
      expect(owners).toEqual(Array.from({ length: 8 }, () => 200));
      // A client the account does not know competes with the flood: signed in or refused, 503.
      expect(newcomers.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    } finally {
      await stop();
    }
    expect(Object.keys(flood).sort()).toEqual(['401', '503']);
  });

  it('a client known through one instance keeps its place on another that a flood saturates', async () => {
    // A second instance on the same database and Redis, with hashing lanes of its own: what makes
    // a client known is in Redis, so a client that signed in through the first instance is known
    // to the second, whose lanes the flood fills. Instances of one deployment share their
    // configuration: the Redis key space, the pepper the lockout's keys are derived with, the
    // signing secret.
    const other = await startApp({
      REDIS_KEY_PREFIX: gw.env.REDIS_KEY_PREFIX,
      REFRESH_TOKEN_PEPPER: gw.env.REFRESH_TOKEN_PEPPER,
      JWT_ACCESS_SECRET: gw.env.JWT_ACCESS_SECRET,
      ...LANES,
    });
    try {
      const owner = await createUser(gw);
      const [ownerClient, newClient] = ['127.0.0.96', '127.0.0.97'];
      expect((await login(gw, ownerClient, owner.email, owner.password)).status).toBe(200);

      const { statuses: flood, stop } = await startFlood(other);
      const owners: number[] = [];
      const firstInstance: number[] = [];
      try {
        for (let i = 0; i < 6; i++) {
          owners.push((await login(other, ownerClient, owner.email, owner.password)).status);
          // The first instance's lanes are its own: the flood on the other leaves them free.
          firstInstance.push((await login(gw, newClient, owner.email, owner.password)).status);
        }
      } finally {
        await stop();
      }
      expect(owners).toEqual(Array.from({ length: 6 }, () => 200));
      expect(firstInstance).toEqual(Array.from({ length: 6 }, () => 200));
      expect(flood[503]).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it("an X-Forwarded-For naming the owner's address buys no kept place: the sender is judged by its own address", async () => {
    const owner = await createUser(gw);
    const ownerClient = '127.0.0.95';
    expect((await login(gw, ownerClient, owner.email, owner.password)).status).toBe(200);
    const { stop } = await startFlood();
    const spoofed: number[] = [];
    try {
      // The right password from eight new addresses, each claiming to be the owner's client. Were
      // the header believed, each would take the kept place and sign in; judged by its own
      // address, each competes with the flood for the one slot. A fresh address every time: one
      // that signed in would be known from then on.
      for (let i = 0; i < 8; i++) {
        const res = await httpFrom(`127.0.1.${10 + i}`, gw.url, 'POST', '/v1/auth/login', {
          body: { email: owner.email, password: owner.password },
          headers: { 'x-forwarded-for': ownerClient },
        });
        spoofed.push(res.status);
      }
      expect((await login(gw, ownerClient, owner.email, owner.password)).status).toBe(200);
    } finally {
      await stop();
    }
    expect(spoofed.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(spoofed).toContain(503);
  });

  it('a refused attempt of an unknown client counts nothing: the per-client counter holds only verified guesses', async () => {
    const owner = await createUser(gw);
    const keys = gw.app.get(LockoutService).keys.attempt(owner.email, '127.0.0.92');
    const results = await Promise.all(Array.from({ length: 12 }, () => login(gw, '127.0.0.92', owner.email, WRONG)));
    const verified = results.filter((r) => r.status === 401).length;
    expect(results.filter((r) => r.status !== 401 && r.status !== 503 && r.status !== 423)).toEqual([]);
    expect(results.some((r) => r.status === 503)).toBe(true);
    const redis = new Redis(gw.env.REDIS_URL);
    try {
      expect(Number(await redis.get(`${gw.env.REDIS_KEY_PREFIX}${keys.byClient}`))).toBe(verified);
    } finally {
      redis.disconnect();
    }
  });
});

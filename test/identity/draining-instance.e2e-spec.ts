import { performance } from 'node:perf_hooks';
import { createUser, TestUser, TokenPair } from '../auth/fixtures';
import { http, HttpResult, startApp } from '../helpers/app';
import { testVariables } from '../helpers/env';
import { BuiltServer, startBuiltServer, waitForReady } from '../helpers/processes';
import { waitFor } from '../../tools/harness';
import { deployment, describeEnforcement, ENFORCEMENT_BOUND_MS, pollEnforced } from './enforcement';

/**
 * Between SIGTERM and closing its listener, an instance keeps serving for SHUTDOWN_DRAIN_MS (time
 * for a load balancer to take it out of rotation). It must keep applying identity changes made on
 * other instances for that whole time: a user disabled elsewhere during the drain is refused here
 * too, at once, not after IDENTITY_CACHE_TTL_MS (a minute here).
 */
const DRAIN_MS = 8000;

async function loginAt(url: string, user: TestUser): Promise<TokenPair> {
  const res = await http<TokenPair>(url, 'POST', '/v1/auth/login', {
    body: { email: user.email, password: user.password },
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body;
}

describe('a draining instance keeps listening for identity invalidations (two built servers)', () => {
  const vars = testVariables({
    ...deployment('drain', { IDENTITY_CACHE_TTL_MS: '60000' }),
    SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
  });
  let a: BuiltServer | undefined;
  let b: BuiltServer | undefined;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    const seed = await startApp(vars);
    try {
      admin = await createUser(seed, 'admin');
      user = await createUser(seed);
    } finally {
      await seed.close();
    }
    [a, b] = await Promise.all([startBuiltServer(vars, 60_000), startBuiltServer(vars, 60_000)]);
    await Promise.all([waitForReady(a.url), waitForReady(b.url)]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it(`a disable made on B during A's drain is enforced on A within ${ENFORCEMENT_BOUND_MS} ms`, async () => {
    const serverA = a!;
    const serverB = b!;
    const adminToken = (await loginAt(serverB.url, admin)).accessToken;
    const { accessToken } = await loginAt(serverA.url, user);
    // Requests go over fetch's keep-alive pool: the connection opened here serves the drain too.
    const meOnA = (): Promise<HttpResult> => http(serverA.url, 'GET', '/v1/auth/me', { token: accessToken });
    expect((await meOnA()).status).toBe(200);

    const signalled = performance.now();
    const stopping = serverA.stop(); // SIGTERM now; resolves when A has exited
    // Readiness turns 503 when the drain begins (after the destroy hooks have run).
    await waitFor("A's drain to begin", async () => (await http(serverA.url, 'GET', '/health/ready')).status === 503, {
      timeoutMs: DRAIN_MS / 2,
      intervalMs: 20,
    });
    // A still serves, and holds the identity (cached for a minute).
    expect((await meOnA()).status).toBe(200);

    const disabled = await http(serverB.url, 'PATCH', `/v1/admin/users/${user.id}`, {
      token: adminToken,
      body: { disabled: true },
    });
    const since = performance.now();
    expect(disabled.status).toBe(200);
    const result = await pollEnforced(meOnA, (res) => res.status === 401, since);
    // Still within the drain: A answered because it was draining, not because it restarted.
    const inDrain = performance.now() - signalled < DRAIN_MS;
    expect({ enforced: describeEnforcement('/me on draining A', result), inDrain }).toEqual({
      enforced: expect.stringMatching(/: enforced/),
      inDrain: true,
    });
    expect(result.last.body).toMatchObject({ code: 'TOKEN_INVALID' });

    const exit = await stopping;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    // The listener stopped after the HTTP server closed and before Redis did: no outage was reported.
    expect(serverA.output()).not.toMatch(/identity invalidations disconnected/);
    a = undefined;
  }, 60_000);
});

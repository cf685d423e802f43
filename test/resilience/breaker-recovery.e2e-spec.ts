import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createUser, login, TestUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { breakerMetrics, breakerReadiness, expectRetryAfter, waitForBreakerState } from '../helpers/breaker';
import { ProviderStandIn } from '../helpers/provider-stand-in';

const HALF_OPEN_AFTER_MS = 4000;
const report = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * Issue 11, point 1: the breaker recovers through the real path. Before the fix, POST /v1/payments
 * refused while cockatiel still said "open", so cockatiel never got the execute() call that moves it
 * to half-open: every payment answered CIRCUIT_OPEN until the process restarted.
 */
jest.setTimeout(60_000);

describe('provider breaker recovery through POST /v1/payments', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let prisma: PrismaService;
  let user: TestUser & { token: string };

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({
      PAYMENT_PROVIDER_URL: provider.url,
      METRICS_PORT: '0',
      PAYMENT_PROVIDER_RETRIES: '0',
      PAYMENT_PROVIDER_TIMEOUT_MS: '8000',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS),
    });
    prisma = gw.app.get(PrismaService);
    const created = await createUser(gw);
    user = { ...created, token: (await login(gw, created)).accessToken };
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });
  beforeEach(() => provider.reset());

  const pay = (): Promise<HttpResult> =>
    http(gw.url, 'POST', '/v1/payments', {
      token: user.token,
      headers: { 'idempotency-key': `brk-${randomUUID()}` },
      body: { amount: 700, currency: 'EUR', recipientId: randomUUID() },
    });
  /** The breaker's state as readiness shows it (which must stay 200), with its figures from the metrics listener. */
  const breaker = async (): Promise<Record<string, unknown>> => {
    const { status, breaker: shown } = await breakerReadiness(gw);
    expect(status).toBe(200);
    return { ...(await breakerMetrics(gw)), state: shown.state };
  };
  /** Polls readiness (bounded) until the breaker reports `state`. */
  const waitForState = (state: string): Promise<Record<string, unknown>> =>
    waitForBreakerState(gw, state, 3 * HALF_OPEN_AFTER_MS);
  const rows = (): Promise<number> => prisma.payment.count({ where: { userId: user.id } });

  /** Two failing payments open the breaker; a third is refused cheaply, touching nothing. */
  async function openTheBreaker(): Promise<void> {
    provider.behave({ kind: 'error', httpStatus: 500 });
    expectProblem(await pay(), 502, 'UPSTREAM_FAILED');
    expectProblem(await pay(), 502, 'UPSTREAM_FAILED');
    const before = { requests: provider.requestCount, rows: await rows() };
    const refused = await pay();
    expectProblem(refused, 503, 'CIRCUIT_OPEN');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect({ requests: provider.requestCount, rows: await rows() }).toEqual(before);
  }

  it('fails, opens, lets exactly one probe through once the delay has passed, closes on its success, then answers 201', async () => {
    await openTheBreaker();
    expect(await breaker()).toMatchObject({ state: 'open', probeInFlight: false });

    const recoveredAt = Date.now();
    provider.behave({ kind: 'slow', delayMs: 3000 }); // the provider is healthy again (and slowish)
    // Until the delay has passed the refusal stays cheap, even though the provider would answer.
    expectProblem(await pay(), 503, 'CIRCUIT_OPEN');
    expect(provider.requestCount).toBe(2);

    await waitForState('half-open');
    // Three payments at once: one is the probe; the others are refused at once, and leave no row.
    const before = await rows();
    const results = await Promise.all([pay(), pay(), pay()]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 503, 503]);
    for (const r of results.filter((x) => x.status === 503)) expectProblem(r, 503, 'CIRCUIT_OPEN');
    expect(provider.requestCount).toBe(3); // the two failures + the probe
    expect(await rows()).toBe(before + 1);
    const closed = await breaker();
    expect(closed).toMatchObject({ state: 'closed', consecutiveFailures: 0, opened: 1, probeInFlight: false });
    report(
      `breaker: provider recovery -> closed in ${Date.now() - recoveredAt} ms (half-open after ${HALF_OPEN_AFTER_MS} ms, probe 3000 ms)`,
    );

    provider.behave({ kind: 'succeed' });
    const next = await pay();
    expect(next.status).toBe(201);
    expect(next.body.status).toBe('succeeded');
  });

  it('reopens for another full window when the probe fails, then recovers on the next probe', async () => {
    await openTheBreaker();
    const openedBefore = Number((await breaker()).opened);
    await waitForState('half-open');

    // The probe reaches the still-failing provider and fails: open again, for a whole new window.
    const requests = provider.requestCount;
    // The breaker reopens while this probe is handled, so no earlier than this.
    const probeSentAt = Date.now();
    expectProblem(await pay(), 502, 'UPSTREAM_FAILED');
    expect(provider.requestCount).toBe(requests + 1);
    const reopened = await breaker();
    expect(reopened).toMatchObject({ state: 'open', opened: openedBefore + 1 });
    expectRetryAfter(reopened.retryAfterSeconds, HALF_OPEN_AFTER_MS, Date.now() - probeSentAt);
    expectProblem(await pay(), 503, 'CIRCUIT_OPEN');
    expect(provider.requestCount).toBe(requests + 1);

    provider.behave({ kind: 'succeed' });
    await waitForState('half-open');
    // Not half-open before a whole new window has passed since the reopening.
    expect(Date.now() - probeSentAt).toBeGreaterThanOrEqual(HALF_OPEN_AFTER_MS);
    expect((await breakerMetrics(gw)).probeInFlight).toBe(false);
    const probe = await pay();
    expect(probe.status).toBe(201);
    expect(await breaker()).toMatchObject({ state: 'closed' });
  });
});

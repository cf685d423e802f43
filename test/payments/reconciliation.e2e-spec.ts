import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { PaymentReconciler } from '../../src/features/payments/reconciliation/payment-reconciler';
import { sleep, waitFor } from '../../tools/harness';
import { createSignedInUser, SignedInUser } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { metricsUrl, scrape } from '../helpers/metrics';
import { createScratchDatabase, ScratchDatabase } from '../helpers/database';
import { ProviderStandIn } from '../helpers/provider-stand-in';
import { must } from '../helpers/must';

jest.setTimeout(90_000);

const INTERVAL_MS = 250;
const report = (line: string): void => void process.stdout.write(`${line}\n`);

/** Counts the runs of the gateway's reconciliation worker that have finished. */
function countRuns(gw: TestApp): () => number {
  const reconciler = gw.app.get(PaymentReconciler);
  const runOnce = reconciler.runOnce.bind(reconciler);
  let finished = 0;
  jest.spyOn(reconciler, 'runOnce').mockImplementation(() => runOnce().finally(() => (finished += 1)));
  return () => finished;
}

/** Polls `probe` (bounded) until it returns something other than undefined. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, withinMs = 30_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Issue 11, point 4: payments left `unknown` settle without any client, on a database of the
 * suite's own (a worker acts on every unknown payment it can see).
 */
describe('payment reconciliation worker (real database, stand-in provider, HTTP)', () => {
  let db: ScratchDatabase;
  let provider: ProviderStandIn;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase();
    provider = await ProviderStandIn.start();
  });
  // Every gateway of a test stops with it, pass or fail: a leftover worker would act on the next test's rows.
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  afterAll(async () => {
    await provider.close();
    await db.drop();
  });
  beforeEach(() => provider.reset());

  async function gateway(overrides: Record<string, string> = {}, shareWith?: TestApp): Promise<TestApp> {
    const gw = await startApp({
      DATABASE_URL: db.url,
      PAYMENT_PROVIDER_URL: provider.url,
      METRICS_PORT: '0',
      PAYMENT_PROVIDER_TIMEOUT_MS: '1500',
      PAYMENT_PROVIDER_RETRIES: '0',
      PAYMENT_RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
      CIRCUIT_FAILURE_THRESHOLD: '1000',
      ...(shareWith
        ? {
            JWT_ACCESS_SECRET: shareWith.env.JWT_ACCESS_SECRET,
            REFRESH_TOKEN_PEPPER: shareWith.env.REFRESH_TOKEN_PEPPER,
            PAYMENT_PROVIDER_API_KEY: shareWith.env.PAYMENT_PROVIDER_API_KEY,
          }
        : {}),
      ...overrides,
    });
    apps.push(gw);
    return gw;
  }
  async function close(gw: TestApp): Promise<void> {
    apps.splice(apps.indexOf(gw), 1);
    await gw.close();
  }
  const userOn = (gw: TestApp): Promise<SignedInUser> => createSignedInUser(gw);
  const pay = (gw: TestApp, token: string, key = `rec-${randomUUID()}`): Promise<HttpResult> =>
    http(gw.url, 'POST', '/v1/payments', {
      token,
      headers: { 'idempotency-key': key },
      body: { amount: 4200, currency: 'EUR', recipientId: randomUUID() },
    });
  const unknownIds = async (gw: TestApp, userId: string): Promise<string[]> =>
    (await gw.app.get(PrismaService).payment.findMany({ where: { userId, status: 'unknown' } })).map((p) => p.id);
  /** A payment whose outcome the gateway could not learn: 502 (provider failed) or 504 (no answer in time). */
  const expectUnknownOutcome = (res: HttpResult): void =>
    expectProblem(res, res.status, res.status === 504 ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_FAILED');
  /** The backlog and the worker's period as the metrics listener reports them (readiness shows neither). */
  const backlog = async (gw: TestApp): Promise<{ intervalSeconds: number; unknown: number; oldestSeconds: number }> => {
    const metrics = await scrape(metricsUrl(gw));
    return {
      intervalSeconds: metrics.value('gateway_payments_reconcile_interval_seconds'),
      unknown: metrics.value('gateway_payments_unknown'),
      oldestSeconds: metrics.value('gateway_payments_unknown_oldest_seconds'),
    };
  };

  it('settles a payment whose answer was lost (504) to the charge the provider made, with no client retry', async () => {
    const gw = await gateway();
    const user = await userOn(gw);
    provider.behave({ kind: 'slow', delayMs: 4000 }); // charges, but answers after our 1500 ms timeout
    const key = `rec-${randomUUID()}`;
    const lost = await pay(gw, user.token, key);
    expectProblem(lost, 504, 'UPSTREAM_TIMEOUT');
    const [id] = await unknownIds(gw, user.id);
    expect(id).toBeDefined();
    const pending = await backlog(gw);
    expect(pending.intervalSeconds).toBe(INTERVAL_MS / 1000);
    expect(pending.unknown).toBeGreaterThanOrEqual(1);
    expect(pending.oldestSeconds).toBeGreaterThanOrEqual(0);

    const healedAt = Date.now();
    provider.behave({ kind: 'succeed' });
    const settled = await eventually('the payment to settle', async () => {
      const res = await http(gw.url, 'GET', `/v1/payments/${id}`, { token: user.token });
      return res.body.status === 'succeeded' ? res : undefined;
    });
    report(`reconciliation: lost answer settled ${Date.now() - healedAt} ms after the provider healed`);
    expect(settled.body.id).toBe(id);
    expect(provider.charges.size).toBe(1);
    const row = await gw.app.get(PrismaService).payment.findUniqueOrThrow({ where: { id } });
    expect(row.providerChargeId).toBe(provider.charges.get(must(id, 'the payment id'))?.id);
    expect(
      gw.logs.some(
        (l) => l.context === 'PaymentReconciler' && /settled by reconciliation: succeeded/.test(String(l.msg)),
      ),
    ).toBe(true);
    // The client coming back later gets the settled payment, and nothing more is charged.
    const replay = await pay(gw, user.token, key).catch(() => undefined);
    expect(replay).toBeDefined();
    expect(provider.charges.size).toBe(1);
    // The gauges are read at most once per UNKNOWN_PAYMENTS_CACHE_MS (5 s), so wait for a fresh read.
    await eventually('the backlog gauges to show none unknown', async () => {
      const now = await backlog(gw);
      return now.unknown === 0 && now.oldestSeconds === 0 ? now : undefined;
    });
    // Nothing secret in the worker's lines.
    expect(gw.rawLogs()).not.toContain(gw.env.PAYMENT_PROVIDER_API_KEY);
    await close(gw);
  });

  it('with two instances on one database, never asks the provider about one payment twice at once', async () => {
    const a = await gateway();
    const b = await gateway({}, a);
    const user = await userOn(a);
    provider.behave({ kind: 'error', httpStatus: 503, charge: true }); // charged, but the answer is lost
    const results = await Promise.all(Array.from({ length: 24 }, () => pay(a, user.token)));
    for (const r of results) expectUnknownOutcome(r);
    provider.behave({ kind: 'slow', delayMs: 150 }); // slow enough for two workers to overlap if they could
    await eventually('every payment to settle', async () =>
      (await unknownIds(a, user.id)).length === 0 ? true : undefined,
    );
    expect(provider.maxConcurrentPerKey).toBe(1);
    const rows = await a.app.get(PrismaService).payment.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(24);
    // Each of this user's payments was charged once, and carries that charge.
    expect(rows.filter((r) => provider.charges.has(r.providerKey))).toHaveLength(24);
    expect(rows.map((r) => r.providerChargeId).sort()).toEqual(
      rows.map((r) => provider.charges.get(r.providerKey)!.id).sort(),
    );
    // The workers settle every unknown payment in the database, so a charge may belong to an
    // earlier test's payment; but no charge may lack its payment (money taken with no record).
    const everyKey = new Set(
      (await a.app.get(PrismaService).payment.findMany({ select: { providerKey: true } })).map((r) => r.providerKey),
    );
    expect([...provider.charges.keys()].filter((key) => !everyKey.has(key))).toEqual([]);
    await close(b);
    await close(a);
  });

  it('waits while the breaker is open, then its own call is the probe: the breaker closes with no client at all', async () => {
    // Long enough for the worker's runs below to fall inside it on a loaded machine.
    const HALF_OPEN_AFTER_MS = 5000;
    const gw = await gateway({
      CIRCUIT_FAILURE_THRESHOLD: '1',
      CIRCUIT_HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS),
    });
    const runs = countRuns(gw);
    const user = await userOn(gw);
    provider.behave({ kind: 'error', httpStatus: 500, charge: true });
    expectUnknownOutcome(await pay(gw, user.token)); // opens the breaker (threshold 1)
    const [id] = await unknownIds(gw, user.id);
    // The breaker opened when the client's (only) call failed; nothing reached the provider since.
    expect(provider.requestCount).toBe(1);
    const openedAt = must(provider.requests[0], "the client's call").at;
    const runsWhenOpened = runs();
    await waitFor('two worker runs while the breaker is open', () => runs() >= runsWhenOpened + 2);
    // While open and not yet due, the worker asks nothing (the provider saw only the client's call).
    expect(provider.requests.filter((r) => r.at > openedAt + 50)).toHaveLength(0);

    provider.behave({ kind: 'succeed' });
    await eventually('the worker to settle it', async () => {
      const res = await http(gw.url, 'GET', `/v1/payments/${id}`, { token: user.token });
      return res.body.status === 'succeeded' ? true : undefined;
    });
    const asked = provider.requests.filter((r) => r.at > openedAt + 50);
    expect(must(asked[0], 'a reconciler call').at - openedAt).toBeGreaterThanOrEqual(HALF_OPEN_AFTER_MS - 50); // not before the half-open delay
    const ready = await http(gw.url, 'GET', '/health/ready');
    expect((ready.body.details as Record<string, Record<string, unknown>>).paymentProvider).toMatchObject({
      state: 'closed',
    });
    await close(gw);
  });

  it('backs off a payment whose provider answer contradicts it, keeps it unknown, and never attaches the charge', async () => {
    const gw = await gateway();
    const user = await userOn(gw);
    provider.behave({ kind: 'error', httpStatus: 500, charge: true });
    // Every reconciliation attempt of this payment happens after this.
    const before = Date.now();
    expectUnknownOutcome(await pay(gw, user.token));
    const [id] = await unknownIds(gw, user.id);
    provider.behave({ kind: 'succeed', echo: { amount: 1 } });
    const prisma = gw.app.get(PrismaService);
    const row = await eventually('two failed reconciliation attempts', async () => {
      const p = await prisma.payment.findUniqueOrThrow({ where: { id } });
      return p.reconcileAttempts >= 2 ? p : undefined;
    });
    expect(row).toMatchObject({ status: 'unknown', providerChargeId: null });
    // Backed off: after two or more failures the next attempt waits at least two intervals
    // (doubling), counted from an attempt made after `before`.
    expect(row.nextReconcileAt!.getTime()).toBeGreaterThanOrEqual(before + 2 * INTERVAL_MS);
    await close(gw);
  });

  it('settles an unknown payment the provider never charged (status query 404) as failed, never charging it', async () => {
    const gw = await gateway();
    const user = await userOn(gw);
    provider.behave({ kind: 'error', httpStatus: 500 }); // refused before charging: nothing under the key
    expectUnknownOutcome(await pay(gw, user.token));
    const id = must((await unknownIds(gw, user.id))[0], 'an unknown payment');
    provider.behave({ kind: 'succeed' });
    const prisma = gw.app.get(PrismaService);
    const row = await eventually('the payment to settle', async () => {
      const p = await prisma.payment.findUniqueOrThrow({ where: { id } });
      return p.status === 'unknown' ? undefined : p;
    });
    expect(row).toMatchObject({ status: 'failed', failureReason: 'never_charged', providerChargeId: null });
    expect(provider.charges.size).toBe(0);
    expect(provider.lookupsFor(id).length).toBeGreaterThanOrEqual(1);
    expect(provider.requestsFor(id)).toHaveLength(1); // the client's one POST; the worker only asked
    await close(gw);
  });

  it('settles a pending payment by status query once the provider settles the charge (no webhook secret)', async () => {
    const gw = await gateway();
    const user = await userOn(gw);
    provider.behave({ kind: 'succeed', status: 'pending' });
    const res = await pay(gw, user.token);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('pending');
    const id = res.body.id as string;
    const prisma = gw.app.get(PrismaService);
    // Still pending at the provider: the worker asks, backs off, and changes nothing.
    await eventually('a status query about the pending payment', () =>
      Promise.resolve(provider.lookupsFor(id).length >= 1 ? true : undefined),
    );
    expect((await prisma.payment.findUniqueOrThrow({ where: { id } })).status).toBe('pending');
    provider.settleCharge(id, 'succeeded');
    await eventually('the pending payment to settle', async () => {
      const r = await http(gw.url, 'GET', `/v1/payments/${id}`, { token: user.token });
      return r.body.status === 'succeeded' ? true : undefined;
    });
    expect(provider.requestsFor(id)).toHaveLength(1);
    expect(provider.charges.size).toBe(1);
    await close(gw);
  });

  it('stops on shutdown: no run after close, even with a backlog', async () => {
    const gw = await gateway();
    const user = await userOn(gw);
    provider.behave({ kind: 'error', httpStatus: 500 });
    expectUnknownOutcome(await pay(gw, user.token));
    // The worker is at work on the backlog (it has asked the provider again) when the app closes.
    await waitFor('the worker to ask the provider', () => provider.requestCount >= 2);
    await close(gw);
    const after = provider.requestCount;
    await sleep(INTERVAL_MS * 4);
    expect(provider.requestCount).toBe(after);
  });
});

import { randomUUID } from 'node:crypto';
import { createUser, login } from '../auth/fixtures';
import { expectProblem, http, HttpResult, startApp, TestApp } from '../helpers/app';
import { ProviderStandIn } from '../helpers/provider-stand-in';
import { providerKeyFor } from '../helpers/payments';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { waitFor } from '../../tools/harness';

const body = (): Record<string, unknown> => ({ amount: 500, currency: 'GBP', recipientId: randomUUID() });

/** A gateway on the stand-in provider, with one logged-in user. */
async function gateway(
  provider: ProviderStandIn,
  overrides: Record<string, string>,
): Promise<{ gw: TestApp; pay: (b: unknown, key?: string) => Promise<HttpResult & { ms: number }>; token: string }> {
  const gw = await startApp({ PAYMENT_PROVIDER_URL: provider.url, ...overrides });
  const { accessToken: token } = await login(gw, await createUser(gw));
  const pay = async (b: unknown, key = `fail-${randomUUID()}`) => {
    const started = Date.now();
    const res = await http(gw.url, 'POST', '/v1/payments', { body: b, token, headers: { 'idempotency-key': key } });
    return { ...res, ms: Date.now() - started };
  };
  return { gw, pay, token };
}

const report = (line: string): void => void process.stdout.write(`${line}\n`);
/**
 * Per-attempt timeout where an answer must arrive in time: long enough for a loaded machine (a
 * hanging provider still costs only this per attempt).
 */
const ANSWER_TIMEOUT_MS = 1000;
/** Where a test needs the breaker to stay open: it never waits for this, so it can be long. */
const STAYS_OPEN_MS = 30_000;

describe('payments when the provider fails (HTTP, real stand-in provider)', () => {
  let provider: ProviderStandIn;
  beforeAll(async () => {
    provider = await ProviderStandIn.start();
  });
  afterAll(() => provider.close());
  beforeEach(() => provider.reset());

  describe('timeouts and failures after retries', () => {
    let env: Awaited<ReturnType<typeof gateway>>;
    beforeAll(async () => {
      env = await gateway(provider, {
        PAYMENT_PROVIDER_TIMEOUT_MS: String(ANSWER_TIMEOUT_MS),
        PAYMENT_PROVIDER_RETRIES: '1',
        CIRCUIT_FAILURE_THRESHOLD: '1000',
      });
    });
    afterAll(() => env.gw.close());

    it('answers 504 UPSTREAM_TIMEOUT when every attempt times out, keeps the payment as unknown, and a replay charges once [gate:1.7.7]', async () => {
      provider.behave({ kind: 'hang' });
      const key = `fail-${randomUUID()}`;
      const b = body();
      const res = await env.pay(b, key);
      expectProblem(res, 504, 'UPSTREAM_TIMEOUT');
      expect(provider.requestsFor(await providerKeyFor(env.gw.app.get(PrismaService), key))).toHaveLength(2);
      report(`provider hangs: 504 after ${res.ms} ms (2 attempts x ${ANSWER_TIMEOUT_MS} ms timeout + backoff)`);

      provider.behave({ kind: 'succeed' });
      const replay = await env.pay(b, key);
      expect(replay.status).toBe(201);
      expect(replay.body.status).toBe('succeeded');
      const read = await http(env.gw.url, 'GET', `/v1/payments/${String(replay.body.id)}`, { token: env.token });
      expect(read.body.status).toBe('succeeded');
      expect(provider.charges.size).toBe(1);
    });

    it('answers 502 UPSTREAM_FAILED after the retries for 5xx and connection resets [gate:1.7.7]', async () => {
      provider.behave({ kind: 'error', httpStatus: 503 });
      expectProblem(await env.pay(body()), 502, 'UPSTREAM_FAILED');
      expect(provider.requestCount).toBe(2);
      provider.behave({ kind: 'reset' });
      expectProblem(await env.pay(body()), 502, 'UPSTREAM_FAILED');
      expect(provider.requestCount).toBe(4);
    });

    it('keeps provider details out of the answer', async () => {
      provider.behave({ kind: 'error', httpStatus: 500 });
      const res = await env.pay(body());
      expect(res.text).not.toContain(provider.url);
      expect(res.text).not.toContain('provider trouble');
      expect(res.text).not.toContain(env.gw.env.PAYMENT_PROVIDER_API_KEY);
    });
  });

  describe('open circuit', () => {
    let env: Awaited<ReturnType<typeof gateway>>;
    beforeAll(async () => {
      env = await gateway(provider, {
        PAYMENT_PROVIDER_TIMEOUT_MS: '300',
        PAYMENT_PROVIDER_RETRIES: '0',
        CIRCUIT_FAILURE_THRESHOLD: '2',
        CIRCUIT_HALF_OPEN_AFTER_MS: String(STAYS_OPEN_MS),
      });
    });
    afterAll(() => env.gw.close());

    it('answers 503 CIRCUIT_OPEN with Retry-After without touching the provider, and readiness stays 200 [gate:1.7.8]', async () => {
      provider.behave({ kind: 'hang' });
      const timedOut = [await env.pay(body()), await env.pay(body())];
      for (const r of timedOut) expectProblem(r, 504, 'UPSTREAM_TIMEOUT');
      const calls = provider.requestCount;

      const fastFails: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await env.pay(body());
        expectProblem(res, 503, 'CIRCUIT_OPEN');
        const retryAfter = Number(res.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(STAYS_OPEN_MS / 1000);
        fastFails.push(res.ms);
      }
      expect(provider.requestCount).toBe(calls);
      const ready = await http(env.gw.url, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.details).toMatchObject({ paymentProvider: { status: 'up', state: 'open' } });
      report(
        `open circuit: 503 in ${Math.min(...fastFails)}-${Math.max(...fastFails)} ms vs timeout path ` +
          `${Math.min(...timedOut.map((r) => r.ms))}-${Math.max(...timedOut.map((r) => r.ms))} ms`,
      );
    });
  });

  describe('open circuit and idempotency', () => {
    let env: Awaited<ReturnType<typeof gateway>>;
    beforeAll(async () => {
      env = await gateway(provider, {
        PAYMENT_PROVIDER_TIMEOUT_MS: String(ANSWER_TIMEOUT_MS),
        PAYMENT_PROVIDER_RETRIES: '0',
        CIRCUIT_FAILURE_THRESHOLD: '1',
        CIRCUIT_HALF_OPEN_AFTER_MS: String(STAYS_OPEN_MS),
      });
    });
    afterAll(() => env.gw.close());

    it('writes no payment while open, but a finished key still replays and another body is still 409', async () => {
      provider.behave({ kind: 'succeed' });
      const doneKey = `done-${randomUUID()}`;
      const doneBody = body();
      const first = await env.pay(doneBody, doneKey);
      expect(first.status).toBe(201);

      provider.behave({ kind: 'hang' });
      expectProblem(await env.pay(body()), 504, 'UPSTREAM_TIMEOUT'); // trips the breaker (threshold 1)
      const prisma = env.gw.app.get(PrismaService);
      const rowsBefore = await prisma.payment.count();

      expectProblem(await env.pay(body()), 503, 'CIRCUIT_OPEN');
      expect(await prisma.payment.count()).toBe(rowsBefore);

      const replay = await env.pay(doneBody, doneKey);
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expectProblem(await env.pay(body(), doneKey), 409, 'IDEMPOTENCY_CONFLICT');
    });
  });

  describe('bulkhead', () => {
    let env: Awaited<ReturnType<typeof gateway>>;
    beforeAll(async () => {
      env = await gateway(provider, {
        // Only a bound: the provider holds the admitted call until the test releases it.
        PAYMENT_PROVIDER_TIMEOUT_MS: '30000',
        PAYMENT_PROVIDER_MAX_CONCURRENCY: '1',
        PAYMENT_PROVIDER_MAX_QUEUE: '0',
      });
    });
    afterAll(() => env.gw.close());

    it('answers 503 SERVICE_UNAVAILABLE with Retry-After beyond the concurrent-call limit', async () => {
      // The provider keeps the admitted call busy until the other two have been answered, however
      // slowly they arrive: they meet a full bulkhead.
      provider.behave({ kind: 'held' });
      let answered = 0;
      const pending = [1, 2, 3].map(() => env.pay(body()).finally(() => (answered += 1)));
      await waitFor('two payments answered while one holds the provider', () => answered === 2, {
        timeoutMs: 20_000,
      });
      provider.release();
      const results = await Promise.all(pending);
      const created = results.filter((r) => r.status === 201);
      const refused = results.filter((r) => r.status === 503);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(created.length + refused.length).toBe(3);
      for (const r of refused) {
        expectProblem(r, 503, 'SERVICE_UNAVAILABLE');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      expect(provider.requestCount).toBe(created.length);
    });
  });
});

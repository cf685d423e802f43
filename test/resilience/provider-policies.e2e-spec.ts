import { BrokenCircuitError, BulkheadRejectedError } from 'cockatiel';
import { MetricsService } from '../../src/platform/metrics/metrics.service';
import { HttpPaymentProvider } from '../../src/features/payments/provider/http-payment-provider';
import type { ChargeRequest } from '../../src/features/payments/provider/payment-provider';
import { paymentsConfig } from '../../src/features/payments/payments.config';
import { ProviderResilience } from '../../src/features/payments/resilience/provider-resilience';
import { resilienceConfig } from '../../src/features/payments/resilience/resilience.config';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../../src/features/payments/resilience/upstream-errors';
import type { Env } from '../../src/platform/config/environment';
import { testEnv } from '../helpers/env';
import { ProviderStandIn } from '../helpers/provider-stand-in';
import { must } from '../helpers/must';
import { providerTroubleProblem } from '../../src/features/payments/payment-problems';
import type { ProblemException } from '../../src/platform/problems';

/** The problem the HTTP edge answers for a failed call (undefined: not the provider's trouble). */
const toProblem = (resilience: ProviderResilience, error: unknown): ProblemException | undefined => {
  const trouble = resilience.trouble(error);
  return trouble ? providerTroubleProblem(trouble, resilience.retryAfterSeconds()) : undefined;
};

const charge: ChargeRequest = {
  amount: 1250,
  currency: 'EUR',
  recipientId: '6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c1a00',
  reference: 'invoice 42',
};

let key = 0;
const nextKey = (): string => `policy-test-${++key}-${Date.now()}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('payment provider client under the resilience policies (real HTTP stand-in)', () => {
  let provider: ProviderStandIn;
  beforeAll(async () => {
    provider = await ProviderStandIn.start();
  });
  afterAll(() => provider.close());
  beforeEach(() => provider.reset());

  function client(overrides: Record<string, string> = {}): {
    client: HttpPaymentProvider;
    resilience: ProviderResilience;
    env: Env;
  } {
    const env = testEnv({
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_TIMEOUT_MS: '500',
      PAYMENT_PROVIDER_RETRIES: '2',
      CIRCUIT_FAILURE_THRESHOLD: '50',
      CIRCUIT_HALF_OPEN_AFTER_MS: '300',
      ...overrides,
    });
    const resilience = new ProviderResilience(resilienceConfig.select(env), new MetricsService());
    return { client: new HttpPaymentProvider(paymentsConfig.select(env), resilience), resilience, env };
  }

  it('sends the API key as a bearer token, the given provider key, JSON content type and the charge body', async () => {
    const { client: c, env } = client();
    const k = nextKey();
    const outcome = await c.charge(charge, k);
    expect(outcome).toEqual({
      kind: 'charged',
      chargeId: expect.stringMatching(/^ch_/),
      status: 'succeeded',
      echo: { amount: charge.amount, currency: charge.currency, recipientId: charge.recipientId },
    });
    const request = must(provider.requests[0], 'the charge request');
    expect(request.headers.authorization).toBe(`Bearer ${env.PAYMENT_PROVIDER_API_KEY}`);
    expect(request.headers['idempotency-key']).toBe(k);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual(charge);
  });

  it('aborts an attempt that exceeds the per-attempt timeout and reports a timeout after the retries', async () => {
    const { client: c, resilience } = client({ PAYMENT_PROVIDER_RETRIES: '1' });
    provider.behave({ kind: 'hang' });
    const error = await rejectionOf(c.charge(charge, nextKey()));
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(provider.requestCount).toBe(2);
    expect(toProblem(resilience, error)).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(toProblem(resilience, error)?.getStatus()).toBe(504);
  });

  it('retries 5xx exactly PAYMENT_PROVIDER_RETRIES times with growing gaps, then reports an upstream failure', async () => {
    const { client: c, resilience } = client({ PAYMENT_PROVIDER_RETRIES: '3' });
    provider.behave({ kind: 'error', httpStatus: 503 });
    const error = await rejectionOf(c.charge(charge, nextKey()));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(provider.requestCount).toBe(4);
    const at = provider.requests.map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => t - must(at[i], 'the previous attempt'));
    // Base 100 ms, doubling, jitter below the doubling: each wait at least its floor and longer than the last.
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
    expect(gaps[2]).toBeGreaterThanOrEqual(395);
    const [first = 0, second = 0, third = 0] = gaps;
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);
    expect(toProblem(resilience, error)).toMatchObject({ code: 'UPSTREAM_FAILED' });
    expect(toProblem(resilience, error)?.getStatus()).toBe(502);
  });

  it('retries connection resets and 429 and succeeds once the provider recovers, charging once', async () => {
    const { client: c } = client();
    const k = nextKey();
    provider.failThen(1, { kind: 'reset' }, { kind: 'succeed' });
    expect(await c.charge(charge, k)).toMatchObject({ kind: 'charged' });
    expect(provider.requestCount).toBe(2);

    provider.reset();
    provider.failThen(2, { kind: 'error', httpStatus: 429 }, { kind: 'succeed', status: 'pending' });
    expect(await c.charge(charge, k)).toMatchObject({ kind: 'charged', status: 'pending' });
    expect(provider.requestCount).toBe(3);
    expect(provider.charges.size).toBe(1);
  });

  it.each([400, 402, 404, 409, 422])('never retries a %s refusal: it is an answer, not a failure', async (status) => {
    const { client: c, resilience } = client({ CIRCUIT_FAILURE_THRESHOLD: '1' });
    provider.behave({ kind: 'refuse', httpStatus: status });
    expect(await c.charge(charge, nextKey())).toEqual({ kind: 'refused', httpStatus: status });
    expect(provider.requestCount).toBe(1);
    expect(resilience.state).toBe('closed');
  });

  it('keeps only what an answer echoes, and treats a wrongly typed echo as an unreadable answer', async () => {
    const { client: c } = client({ PAYMENT_PROVIDER_RETRIES: '0' });
    provider.behave({ kind: 'succeed', echo: { amount: undefined, currency: undefined, recipientId: undefined } });
    expect(await c.charge(charge, nextKey())).toMatchObject({ kind: 'charged', echo: {} });
    provider.behave({ kind: 'succeed', echo: { amount: '100' as unknown as number } });
    expect(await rejectionOf(c.charge(charge, nextKey()))).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('treats an unreadable 2xx answer as an upstream failure (retried with the same key)', async () => {
    const { client: c } = client({ PAYMENT_PROVIDER_RETRIES: '0' });
    provider.behave({ kind: 'error', httpStatus: 200 });
    expect(await rejectionOf(c.charge(charge, nextKey()))).toBeInstanceOf(UpstreamUnavailableError);
  });

  describe('circuit breaker', () => {
    it('opens after CIRCUIT_FAILURE_THRESHOLD failed attempts and then fails fast without reaching the provider', async () => {
      const { client: c, resilience } = client({ CIRCUIT_FAILURE_THRESHOLD: '3', PAYMENT_PROVIDER_RETRIES: '0' });
      provider.behave({ kind: 'error', httpStatus: 500 });
      for (let i = 0; i < 2; i++) await rejectionOf(c.charge(charge, nextKey()));
      expect(resilience.state).toBe('closed');
      expect(resilience.snapshot().consecutiveFailures).toBe(2);
      await rejectionOf(c.charge(charge, nextKey()));
      expect(resilience.state).toBe('open');
      expect(provider.requestCount).toBe(3);

      for (let i = 0; i < 5; i++) {
        const error = await rejectionOf(c.charge(charge, nextKey()));
        expect(error).toBeInstanceOf(BrokenCircuitError);
        const problem = toProblem(resilience, error)!;
        expect(problem.code).toBe('CIRCUIT_OPEN');
        expect(problem.getStatus()).toBe(503);
        expect(problem.extras.retryAfterSeconds).toBe(1);
      }
      expect(provider.requestCount).toBe(3);
      expect(resilience.snapshot()).toMatchObject({ state: 'open', opened: 1, rejectedWhileOpen: 5 });
    });

    it('stops retrying as soon as the breaker opens mid-call', async () => {
      const { client: c } = client({ CIRCUIT_FAILURE_THRESHOLD: '2', PAYMENT_PROVIDER_RETRIES: '5' });
      provider.behave({ kind: 'error', httpStatus: 502 });
      expect(await rejectionOf(c.charge(charge, nextKey()))).toBeInstanceOf(BrokenCircuitError);
      expect(provider.requestCount).toBe(2);
    });

    it('stops retrying once the breaker opened, even when the next backoff outlasts the half-open delay', async () => {
      // The backoff before a third attempt is 200-300 ms, longer than the 100 ms half-open delay: the
      // call must not retry as an unclaimed half-open probe (failed on a loaded CI box before).
      const { client: c, resilience } = client({
        CIRCUIT_FAILURE_THRESHOLD: '2',
        PAYMENT_PROVIDER_RETRIES: '5',
        CIRCUIT_HALF_OPEN_AFTER_MS: '100',
      });
      provider.behave({ kind: 'error', httpStatus: 502 });
      expect(await rejectionOf(c.charge(charge, nextKey()))).toBeInstanceOf(BrokenCircuitError);
      expect(provider.requestCount).toBe(2);
      expect(resilience.snapshot().opened).toBe(1);
    });

    it('lets one probe through after CIRCUIT_HALF_OPEN_AFTER_MS and closes when it succeeds', async () => {
      const { client: c, resilience } = client({ CIRCUIT_FAILURE_THRESHOLD: '2', PAYMENT_PROVIDER_RETRIES: '0' });
      provider.behave({ kind: 'error', httpStatus: 500 });
      await rejectionOf(c.charge(charge, nextKey()));
      await rejectionOf(c.charge(charge, nextKey()));
      expect(resilience.state).toBe('open');
      provider.behave({ kind: 'succeed' });
      await sleep(350);
      const before = provider.requestCount;
      expect(await c.charge(charge, nextKey())).toMatchObject({ kind: 'charged' });
      expect(provider.requestCount).toBe(before + 1);
      expect(resilience.state).toBe('closed');
      expect(await c.charge(charge, nextKey())).toMatchObject({ kind: 'charged' });
    });

    it('re-opens when the half-open probe fails, without letting other calls through', async () => {
      const { client: c, resilience } = client({ CIRCUIT_FAILURE_THRESHOLD: '1', PAYMENT_PROVIDER_RETRIES: '0' });
      provider.behave({ kind: 'error', httpStatus: 500 });
      await rejectionOf(c.charge(charge, nextKey()));
      expect(resilience.state).toBe('open');
      await sleep(350);
      provider.behave({ kind: 'slow', delayMs: 100 });
      provider.failThen(1, { kind: 'error', httpStatus: 500 });
      const before = provider.requestCount;
      const results = await Promise.allSettled([1, 2, 3].map(() => c.charge(charge, nextKey())));
      expect(provider.requestCount).toBe(before + 1); // the probe only
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      expect(resilience.state).toBe('open');
      expect(resilience.snapshot().opened).toBe(2);
    });
  });

  it('rejects calls beyond the bulkhead (concurrency + queue) at once, without reaching the provider', async () => {
    const { client: c, resilience } = client({
      PAYMENT_PROVIDER_MAX_CONCURRENCY: '2',
      PAYMENT_PROVIDER_MAX_QUEUE: '1',
      PAYMENT_PROVIDER_TIMEOUT_MS: '2000',
    });
    provider.behave({ kind: 'slow', delayMs: 300 });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => c.charge(charge, nextKey())));
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(rejected).toHaveLength(2);
    expect(rejected.every((e) => e instanceof BulkheadRejectedError)).toBe(true);
    const problem = toProblem(resilience, rejected[0])!;
    expect({ status: problem.getStatus(), code: problem.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(problem.extras.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(provider.requestCount).toBe(3);
  });
});

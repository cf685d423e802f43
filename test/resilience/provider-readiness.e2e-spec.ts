import { randomUUID } from 'node:crypto';
import { PAYMENT_PROVIDER, PaymentProvider } from '../../src/features/payments/provider/payment-provider';
import { startApp, TestApp } from '../helpers/app';
import { breakerMetrics, breakerReadiness, expectRetryAfter, waitForBreakerState } from '../helpers/breaker';
import { ProviderStandIn } from '../helpers/provider-stand-in';

const charge = { amount: 100, currency: 'EUR', recipientId: randomUUID(), reference: null };
/** Long enough that opening the breaker and reading readiness fit inside it on a loaded machine. */
const HALF_OPEN_AFTER_MS = 3000;

describe('provider breaker in /health/ready, on the metrics listener and in the logs', () => {
  let provider: ProviderStandIn;
  let gw: TestApp;
  let client: PaymentProvider;

  beforeAll(async () => {
    provider = await ProviderStandIn.start();
    gw = await startApp({
      PAYMENT_PROVIDER_URL: provider.url,
      METRICS_PORT: '0',
      PAYMENT_PROVIDER_RETRIES: '0',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_HALF_OPEN_AFTER_MS: String(HALF_OPEN_AFTER_MS),
    });
    client = gw.app.get<PaymentProvider>(PAYMENT_PROVIDER);
  });
  afterAll(async () => {
    await gw.close();
    await provider.close();
  });

  const breakerLines = (): string[] =>
    gw.logs.filter((l) => l.context === 'PaymentProviderBreaker').map((l) => String(l.msg));

  it('reports a closed breaker by its state alone in readiness, its counts on the metrics listener', async () => {
    const ready = await breakerReadiness(gw);
    expect(ready.status).toBe(200);
    expect(ready.breaker).toEqual({ status: 'up', state: 'closed' });
    expect(await breakerMetrics(gw)).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      failureThreshold: 2,
      halfOpenAfterMs: HALF_OPEN_AFTER_MS,
      opened: 0,
      bulkhead: { maxConcurrent: 20, maxQueue: 50, freeSlots: 20, freeQueueSlots: 50 },
    });
  });

  it('keeps the gateway ready with an open breaker, shows it as open, and logs each transition once [gate:1.7.8]', async () => {
    provider.behave({ kind: 'error', httpStatus: 500 });
    const failingFrom = Date.now();
    await Promise.allSettled([
      client.charge(charge, `rd-${randomUUID()}`),
      client.charge(charge, `rd-${randomUUID()}`),
    ]);
    const open = await breakerReadiness(gw);
    const figures = await breakerMetrics(gw);
    const elapsedMs = Date.now() - failingFrom;
    expect(open.status).toBe(200);
    expect(open.breaker).toEqual({ status: 'up', state: 'open' });
    expect(figures).toMatchObject({ state: 'open', opened: 1 });
    expectRetryAfter(figures.retryAfterSeconds, HALF_OPEN_AFTER_MS, elapsedMs);
    expect(breakerLines()).toEqual([expect.stringMatching(/circuit opened \(2 consecutive failures\)/)]);

    provider.behave({ kind: 'succeed' });
    // Half-open once the delay has passed (readiness says so without a call), then one probe closes it.
    await waitForBreakerState(gw, 'half-open', HALF_OPEN_AFTER_MS + 15_000);
    await client.charge(charge, `rd-${randomUUID()}`);
    expect((await breakerReadiness(gw)).breaker).toEqual({ status: 'up', state: 'closed' });
    expect(await breakerMetrics(gw)).toMatchObject({ state: 'closed', consecutiveFailures: 0, opened: 1 });
    expect(breakerLines()).toEqual([
      expect.stringMatching(/opened/),
      expect.stringMatching(/half-open/),
      expect.stringMatching(/closed/),
    ]);
    // The provider's API key never reaches a log line.
    expect(gw.rawLogs()).not.toContain(gw.env.PAYMENT_PROVIDER_API_KEY);
  });
});

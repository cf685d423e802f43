import { MetricsService, UNKNOWN_PAYMENTS_CACHE_MS } from './metrics.service';

async function text(metrics: MetricsService): Promise<string> {
  return (await metrics.exposition()).body;
}

function value(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('MetricsService', () => {
  it('keeps one registry per instance: two apps in one process never share or collide', async () => {
    const a = new MetricsService(true);
    const b = new MetricsService(true);
    a.rateLimited('auth');
    a.rateLimited('auth');
    b.rateLimited('auth');
    expect(value(await text(a), 'gateway_rate_limited_total{limit="auth"}')).toBe(2);
    expect(value(await text(b), 'gateway_rate_limited_total{limit="auth"}')).toBe(1);
  });

  it('folds values outside the closed lists into "other", so client input never becomes a label', async () => {
    const metrics = new MetricsService(true);
    metrics.httpResponse('PROPFIND', undefined, 404, 0.001);
    metrics.httpResponse('GET', '/v1/payments/:id', 200, 0.002);
    metrics.httpResponse('GET', '/v1/payments/:id', 1000, 0.002);
    metrics.rateLimited('someone-elses-limit');
    metrics.paymentStatus('refunded');
    const exposition = await text(metrics);
    expect(value(exposition, 'gateway_http_requests_total{method="other",route="unmatched",status="404"}')).toBe(1);
    expect(value(exposition, 'gateway_http_requests_total{method="GET",route="/v1/payments/:id",status="200"}')).toBe(
      1,
    );
    expect(value(exposition, 'gateway_http_requests_total{method="GET",route="/v1/payments/:id",status="other"}')).toBe(
      1,
    );
    expect(
      value(exposition, 'gateway_http_request_duration_seconds_count{method="GET",route="/v1/payments/:id"}'),
    ).toBe(2);
    expect(value(exposition, 'gateway_rate_limited_total{limit="other"}')).toBe(1);
    expect(value(exposition, 'gateway_payments_total{status="other"}')).toBe(1);
  });

  it('starts every known counter series at 0', async () => {
    const exposition = await text(new MetricsService());
    for (const series of [
      'gateway_rate_limited_total{limit="global"}',
      'gateway_login_attempts_total{outcome="unavailable"}',
      'gateway_provider_calls_total{outcome="bulkhead_full"}',
      'gateway_payments_total{status="unknown"}',
      'gateway_login_attempts_total{outcome="closed_to_unknown_client"}',
      'gateway_login_attempts_total{outcome="client_limited"}',
      'gateway_rate_limited_total{limit="login_failures"}',
      'gateway_account_lockouts_total{scope="account_client"}',
      'gateway_account_lockouts_total{scope="account"}',
      'gateway_account_lockouts_total{scope="client"}',
      'gateway_password_verifications_total',
      'gateway_refresh_reuse_detected_total',
    ]) {
      expect({ series, value: value(exposition, series) }).toEqual({ series, value: 0 });
    }
  });

  it('adds the default process metrics only when enabled', async () => {
    expect(await text(new MetricsService(false))).not.toContain('process_cpu_seconds_total');
    const enabled = await text(new MetricsService(true));
    expect(enabled).toContain('process_cpu_seconds_total');
    expect(enabled).toContain('nodejs_eventloop_lag_p99_seconds');
  });

  it('reports how long the event loop was held since the previous scrape, as gateway_event_loop_delay_seconds', async () => {
    const metrics = new MetricsService(true);
    try {
      // The monitor records from its second tick on: wait until it has, then start a fresh window.
      while (value(await text(metrics), 'gateway_event_loop_delay_seconds{quantile="1"}') === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Hold the loop for 200 ms (as a hash computed on the main thread would), then let the monitor's timer run.
      const until = Date.now() + 200;
      while (Date.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const exposition = await text(metrics);
      const max = value(exposition, 'gateway_event_loop_delay_seconds{quantile="1"}');
      expect(max).toBeGreaterThanOrEqual(0.15);
      expect(value(exposition, 'gateway_event_loop_delay_seconds{quantile="0.99"}')).toBeGreaterThan(0);
      expect(await text(new MetricsService(false))).not.toContain('gateway_event_loop_delay_seconds');
    } finally {
      metrics.close();
    }
  });

  describe('gateway_event_loop_delay_seconds under a single stall', () => {
    const block = (ms: number): void => {
      const until = Date.now() + ms;
      while (Date.now() < until);
    };
    const settled = async (metrics: MetricsService): Promise<void> => {
      while (value(await text(metrics), 'gateway_event_loop_delay_seconds{quantile="1"}') === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    it('holds a 300 ms stall in its maximum even when the scrape is read in the turn the stall ends', async () => {
      const metrics = new MetricsService(true);
      try {
        await settled(metrics);
        block(300);
        // No timer has run since the stall: the scrape itself must count it.
        const exposition = await text(metrics);
        expect(value(exposition, 'gateway_event_loop_delay_seconds{quantile="1"}')).toBeGreaterThanOrEqual(0.25);
      } finally {
        metrics.close();
      }
    });

    it('weighs a stall by the time it held the loop, so one 300 ms stall in a second shows in p99', async () => {
      const metrics = new MetricsService(true);
      try {
        await settled(metrics);
        // About 100 quiet ticks, then one stall of 300 ms: a request arriving during the last
        // 1.3 s had a one-in-four chance of waiting behind it, so p99 is of the stall's size.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        block(300);
        await new Promise((resolve) => setTimeout(resolve, 30));
        const exposition = await text(metrics);
        expect(value(exposition, 'gateway_event_loop_delay_seconds{quantile="1"}')).toBeGreaterThanOrEqual(0.25);
        expect(value(exposition, 'gateway_event_loop_delay_seconds{quantile="0.99"}')).toBeGreaterThanOrEqual(0.2);
      } finally {
        metrics.close();
      }
    });
  });

  it('reads gauges from their sources at scrape time', async () => {
    const metrics = new MetricsService();
    let state: 'closed' | 'half-open' | 'open' | 'isolated' = 'closed';
    let queued = 0;
    let fallback = false;
    metrics.watchCircuit('payment_provider', () => state);
    metrics.watchPasswordHashQueue(() => queued);
    metrics.watchRedisFallback(() => fallback);
    metrics.watchDbPool(() => ({ total: 7, idle: 3, waiting: 2 }));
    const circuit = 'gateway_circuit_state{circuit="payment_provider"}';
    expect(value(await text(metrics), circuit)).toBe(0);
    state = 'half-open';
    expect(value(await text(metrics), circuit)).toBe(1);
    state = 'open';
    queued = 5;
    fallback = true;
    const exposition = await text(metrics);
    expect(value(exposition, circuit)).toBe(2);
    expect(value(exposition, 'gateway_password_hash_queue')).toBe(5);
    expect(value(exposition, 'gateway_redis_fallback_active')).toBe(1);
    expect(value(exposition, 'gateway_db_pool_connections{state="idle"}')).toBe(3);
    expect(value(exposition, 'gateway_db_pool_connections{state="active"}')).toBe(4);
    expect(value(exposition, 'gateway_db_pool_connections{state="waiting"}')).toBe(2);
  });

  it('reads the breaker and bulkhead figures, the readiness checks and the reconcile period', async () => {
    const metrics = new MetricsService();
    const figures = {
      consecutiveFailures: 2,
      failureThreshold: 5,
      halfOpenAfterMs: 10_000,
      probeInFlight: false,
      retryAfterSeconds: 0,
      opened: 0,
      rejectedWhileOpen: 0,
    };
    metrics.watchCircuitFigures('payment_provider', () => figures);
    metrics.watchProviderBulkhead(() => ({ maxConcurrent: 20, maxQueue: 50, freeSlots: 18, freeQueueSlots: 50 }));
    metrics.readinessChecked('database', 0.004);
    metrics.reconcileIntervalIs(30);
    const circuit = (name: string): string => `${name}{circuit="payment_provider"}`;
    let exposition = await text(metrics);
    expect(value(exposition, circuit('gateway_circuit_consecutive_failures'))).toBe(2);
    expect(value(exposition, circuit('gateway_circuit_failure_threshold'))).toBe(5);
    expect(value(exposition, circuit('gateway_circuit_half_open_after_seconds'))).toBe(10);
    expect(value(exposition, circuit('gateway_circuit_probe_in_flight'))).toBe(0);
    expect(value(exposition, circuit('gateway_circuit_opened_total'))).toBe(0);
    expect(value(exposition, 'gateway_provider_bulkhead_slots{kind="execution"}')).toBe(20);
    expect(value(exposition, 'gateway_provider_bulkhead_slots{kind="queue"}')).toBe(50);
    expect(value(exposition, 'gateway_provider_bulkhead_free_slots{kind="execution"}')).toBe(18);
    expect(value(exposition, 'gateway_readiness_check_duration_seconds{dependency="database"}')).toBe(0.004);
    expect(value(exposition, 'gateway_payments_reconcile_interval_seconds')).toBe(30);

    Object.assign(figures, { probeInFlight: true, retryAfterSeconds: 7, opened: 3, rejectedWhileOpen: 11 });
    exposition = await text(metrics);
    expect(value(exposition, circuit('gateway_circuit_probe_in_flight'))).toBe(1);
    expect(value(exposition, circuit('gateway_circuit_retry_after_seconds'))).toBe(7);
    expect(value(exposition, circuit('gateway_circuit_opened_total'))).toBe(3);
    expect(value(exposition, circuit('gateway_circuit_rejected_total'))).toBe(11);
    expect(exposition).toContain('# TYPE gateway_circuit_opened_total counter');
  });

  it('queries the unknown-payment backlog once per cache period, and keeps the last value when it fails', async () => {
    const metrics = new MetricsService();
    let calls = 0;
    let fail = false;
    metrics.watchUnknownPayments(() => {
      calls += 1;
      return fail ? Promise.reject(new Error('database down')) : Promise.resolve({ count: 3, oldestSeconds: 120 });
    });
    const first = await text(metrics);
    await text(metrics);
    expect(calls).toBe(1);
    expect(value(first, 'gateway_payments_unknown')).toBe(3);
    expect(value(first, 'gateway_payments_unknown_oldest_seconds')).toBe(120);

    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      jest.setSystemTime(Date.now() + UNKNOWN_PAYMENTS_CACHE_MS);
      fail = true;
      const later = await text(metrics);
      expect(calls).toBe(2);
      expect(value(later, 'gateway_payments_unknown')).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });
});

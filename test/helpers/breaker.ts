import type { BulkheadFigures, CircuitFigures } from '../../src/platform/metrics/metrics.service';
import { sleep } from '../../tools/harness';
import { http, TestApp } from './app';
import { metricsUrl, scrape } from './metrics';

/** The payment provider breaker as /health/ready reports it (`{status, state}`), with the readiness status. */
export async function breakerReadiness(gw: TestApp): Promise<{ status: number; breaker: Record<string, unknown> }> {
  const res = await http(gw.url, 'GET', '/health/ready');
  return {
    status: res.status,
    breaker: (res.body.details as Record<string, Record<string, unknown> | undefined>).paymentProvider ?? {},
  };
}

/**
 * Polls readiness (which must stay 200: an open breaker never takes the gateway out of rotation)
 * until the breaker reports `state`; throws after `withinMs`.
 */
export async function waitForBreakerState(
  gw: TestApp,
  state: string,
  withinMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { status, breaker } = await breakerReadiness(gw);
    expect(status).toBe(200);
    if (breaker.state === state) return breaker;
    if (Date.now() > deadline) throw new Error(`breaker still ${String(breaker.state)}, expected ${state}`);
    await sleep(50);
  }
}

/**
 * The Retry-After an open breaker gives: the whole seconds left of CIRCUIT_HALF_OPEN_AFTER_MS,
 * rounded up, at least 1. `elapsedMs` bounds the time from the moment the breaker opened (at the
 * earliest) to the answer, so the check is exact on a quiet machine and still true on a slow one.
 */
export function expectRetryAfter(actual: unknown, halfOpenAfterMs: number, elapsedMs: number): void {
  const most = Math.max(1, Math.ceil(halfOpenAfterMs / 1000));
  const least = Math.max(1, Math.ceil((halfOpenAfterMs - elapsedMs) / 1000));
  expect(typeof actual).toBe('number');
  expect(actual).toBeGreaterThanOrEqual(least);
  expect(actual).toBeLessThanOrEqual(most);
}

/** What the metrics listener shows of the breaker: the figures it is fed, its state and its bulkhead. */
export interface BreakerFigures extends CircuitFigures {
  state: string;
  bulkhead: BulkheadFigures;
}

const CIRCUIT_STATES = ['closed', 'half-open', 'open'];

/**
 * The payment provider breaker's figures, from one scrape of the metrics listener (the app must
 * run with METRICS_PORT): readiness shows only the state.
 */
export async function breakerMetrics(gw: TestApp): Promise<BreakerFigures> {
  const metrics = await scrape(metricsUrl(gw));
  const circuit = { circuit: 'payment_provider' };
  return {
    state: CIRCUIT_STATES[metrics.value('gateway_circuit_state', circuit)] ?? 'unknown',
    consecutiveFailures: metrics.value('gateway_circuit_consecutive_failures', circuit),
    failureThreshold: metrics.value('gateway_circuit_failure_threshold', circuit),
    halfOpenAfterMs: Math.round(metrics.value('gateway_circuit_half_open_after_seconds', circuit) * 1000),
    probeInFlight: metrics.value('gateway_circuit_probe_in_flight', circuit) === 1,
    retryAfterSeconds: metrics.value('gateway_circuit_retry_after_seconds', circuit),
    opened: metrics.value('gateway_circuit_opened_total', circuit),
    rejectedWhileOpen: metrics.value('gateway_circuit_rejected_total', circuit),
    bulkhead: {
      maxConcurrent: metrics.value('gateway_provider_bulkhead_slots', { kind: 'execution' }),
      maxQueue: metrics.value('gateway_provider_bulkhead_slots', { kind: 'queue' }),
      freeSlots: metrics.value('gateway_provider_bulkhead_free_slots', { kind: 'execution' }),
      freeQueueSlots: metrics.value('gateway_provider_bulkhead_free_slots', { kind: 'queue' }),
    },
  };
}
